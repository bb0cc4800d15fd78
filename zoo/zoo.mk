# The zoo: every model × pipeline, built incrementally (make decides what is stale) and in
# parallel (make -j2 zoo). Until quantization pipelines land, the "demo" pipeline converts the
# real model between formats and records what qzoo sees, which exercises every reader and writer.
QZOO      ?= .build/release/qzoo
MODEL_DIR ?= .cache/models/all-MiniLM-L6-v2
OUT       := zoo/out/minilm
SOURCE    := $(MODEL_DIR)/model.safetensors

DEMO := $(OUT)/model.npz $(OUT)/model-f16.safetensors $(OUT)/model-bf16.safetensors \
        $(OUT)/sharded/model.safetensors.index.json $(OUT)/npy-dir/.done $(OUT)/inspect.json

.PHONY: zoo
zoo: $(DEMO)
	@echo "zoo up to date: $(words $(DEMO)) outputs in $(OUT)"

$(OUT)/.dir:
	mkdir -p $(OUT) && touch $@

$(OUT)/model.npz: $(SOURCE) $(QZOO) | $(OUT)/.dir
	$(QZOO) convert $< $@ --force

$(OUT)/model-f16.safetensors: $(SOURCE) $(QZOO) | $(OUT)/.dir
	$(QZOO) convert $< $@ --dtype f16 --force

$(OUT)/model-bf16.safetensors: $(SOURCE) $(QZOO) | $(OUT)/.dir
	$(QZOO) convert $< $@ --dtype bf16 --force

$(OUT)/sharded/model.safetensors.index.json: $(SOURCE) $(QZOO) | $(OUT)/.dir
	$(QZOO) convert $< $(OUT)/sharded --max-shard-size 25MB --force

$(OUT)/inspect.json: $(SOURCE) $(QZOO) | $(OUT)/.dir
	$(QZOO) inspect $< --json > $@.tmp && mv $@.tmp $@

$(OUT)/npy-dir/.done: $(OUT)/model.npz $(QZOO)
	$(QZOO) convert $< $(OUT)/npy-dir --to npy-dir --force
	touch $@
