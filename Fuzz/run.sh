#!/usr/bin/env bash
# Builds every fuzz target with libFuzzer + AddressSanitizer and runs each for a while
# (default 30 s) on its seed corpus. Usage: Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
swift build -c release --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | grep -v '^\[' || true
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)
for target in $(sed -n 's/.*executableTarget(name: "\(Fuzz[A-Za-z]*\)".*/\1/p' Package.swift); do
  corpus=corpus/$target
  mkdir -p "$corpus" "work/$target"
  echo "== $target: ${seconds}s"
  "$bin/$target" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 "work/$target" "$corpus" 2>&1 | tail -n 12
done
