# One command per job; every target sets up what it needs (venv, npm, Java).
# `make demo` obtains a token from each provider's mock; `make test` runs the suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make

PYTHON_PACKAGES := cybersource pandadoc criteo-retailmedia-v2022-10 zuora
NODE_PACKAGES := cybersource-node
CONFIGS := $(sort $(wildcard openapi/*-python.yaml) $(wildcard openapi/*-node.yaml))
SPECS := openapi/cybersource.yaml openapi/pandadoc.yaml openapi/criteo.yaml openapi/zuora.yaml
TEMPLATES := $(shell find -L templates -type f)
GENERATED := $(foreach p,$(PYTHON_PACKAGES) $(NODE_PACKAGES),generated/$(p)/.openapi-generator/FILES)

.PHONY: all setup generate regenerate check-generated install demo test lint typecheck tox bench clean

all: test

$(STAMPS)/venv: requirements-dev.txt
	scripts/ensure-java
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

setup: $(STAMPS)/venv $(STAMPS)/npm

# All packages in one JVM; remade only when a spec, config or template changed.
$(GENERATED) &: $(SPECS) $(CONFIGS) openapi/python-common.yaml $(TEMPLATES) Makefile | $(STAMPS)/venv
	rm -rf $(addprefix generated/,$(PYTHON_PACKAGES) $(NODE_PACKAGES))
	$(BIN)/openapi-generator-cli batch --fail-fast $(CONFIGS) > $(STAMPS)/generate.log 2>&1 \
		|| { cat $(STAMPS)/generate.log; exit 1; }
	@# Mustache cannot sort: put imports and __all__ in ruff's order.
	$(BIN)/ruff check --quiet --fix-only --select I001,RUF022 $(addprefix generated/,$(PYTHON_PACKAGES))
	@echo "generated: $(PYTHON_PACKAGES) $(NODE_PACKAGES)"

generate: $(GENERATED)

regenerate: | $(STAMPS)/venv
	@touch $(SPECS)
	@$(MAKE) --no-print-directory generate

# Fails when the committed generated/ differs from a fresh generation (untracked files too).
check-generated: regenerate
	@drift="$$(git status --porcelain --untracked-files=all -- generated)"; \
	if [ -n "$$drift" ]; then \
		echo "generated/ differs from what the specs and templates produce:"; \
		echo "$$drift"; git --no-pager diff --stat -- generated; exit 1; \
	fi; echo "generated/ matches the specs and templates"

$(STAMPS)/install: $(GENERATED) setup.py | $(STAMPS)/venv
	$(BIN)/python -m pip install -q --force-reinstall $(addprefix ./generated/,$(PYTHON_PACKAGES))
	@touch $@

install: $(STAMPS)/install

demo: install $(STAMPS)/npm
	$(BIN)/python scripts/demo.py

test: install $(STAMPS)/npm
	$(BIN)/python -m pytest
	node --test tests/node/

lint: generate | $(STAMPS)/venv
	$(BIN)/ruff check generated tests scripts bench

typecheck: install
	$(BIN)/mypy --strict tests/typing_check.py

tox: setup
	$(BIN)/tox

# Ratios to raw urllib3 and generation times; writes bench/results.md.
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(STAMPS) node_modules .tox .pytest_cache .mypy_cache .ruff_cache
