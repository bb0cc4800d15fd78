#!/bin/bash
# Quantizes the model once per calibration corpus and scores it on both held-out sets, so the
# effect of the calibration text can be compared (numbers in data/calibration/README.md).
# Usage: QZOO_BIN=.build/release/qzoo QZOO_MODEL_DIR=path/to/all-MiniLM-L6-v2 \
#          data/compare_calibration.sh q2|g4 OUTDIR builtin|CORPUS.txt...
# q2 = 2-bit QuIP# (pooler excluded); g4 = 4-bit GPTQ, group 128, act-order.
# Prints: corpus, mean cosine on eval-en.txt, mean cosine on eval-general-en.txt.
set -euo pipefail
: "${QZOO_BIN:?set QZOO_BIN}" "${QZOO_MODEL_DIR:?set QZOO_MODEL_DIR}"
case "${1:-}" in
  q2) method=(--method quipsharp --bits 2 --exclude pooler) ;;
  g4) method=(--method gptq --bits 4 --group-size 128 --act-order) ;;
  *) echo "first argument: q2 or g4" >&2; exit 2 ;;
esac
out=$2; shift 2
mkdir -p "$out"
here=$(dirname "$0")
for corpus in "$@"; do
  name=$(basename "$corpus" .txt)-${method[1]}
  data=(); [ "$corpus" != builtin ] && data=(--data "$corpus")
  "$QZOO_BIN" quantize "$QZOO_MODEL_DIR" "$out/$name.qpack" "${method[@]}" "${data[@]}" --force >/dev/null 2>&1
  scores=()
  for eval in "$here/evaluation/eval-en.txt" "$here/evaluation/eval-general-en.txt"; do
    scores+=("$("$QZOO_BIN" eval --reference "$QZOO_MODEL_DIR" --candidate "$out/$name.qpack" --data "$eval" --json 2>/dev/null |
      python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["mean_cosine"])')")
  done
  echo "$corpus ${scores[*]}"
done
