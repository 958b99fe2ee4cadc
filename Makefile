# One command per job; every target sets up what it needs (venv, npm, Java).
# `make demo` obtains a token from each provider's mock; `make test` runs the suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make

# A provider is a spec and a config: openapi/<p>.yaml and openapi/<p>-python.yaml (and -node.yaml).
CONFIGS := $(sort $(wildcard openapi/*-python.yaml) $(wildcard openapi/*-node.yaml))
output_dir = $(shell sed -n 's/^outputDir: *//p' $(1))
PYTHON_PACKAGES := $(foreach c,$(wildcard openapi/*-python.yaml),$(notdir $(call output_dir,$(c))))
NODE_PACKAGES := $(foreach c,$(wildcard openapi/*-node.yaml),$(notdir $(call output_dir,$(c))))
SPECS := $(filter-out $(CONFIGS) openapi/python-common.yaml,$(wildcard openapi/*.yaml))
TEMPLATES := $(shell find -L templates -type f)
GENERATED := $(foreach p,$(PYTHON_PACKAGES) $(NODE_PACKAGES),generated/$(p)/.openapi-generator/FILES)
# The Python packages' folders, from their configs (outputDir).
PYTHON_DIRS := $(sort $(shell sed -n 's/^outputDir: *//p' $(wildcard openapi/*-python.yaml)))
# The oldest Python the packages support: `make test-py39` runs their runtime tests on it.
OLDEST := 3.9

.PHONY: all setup generate regenerate check-generated install demo test lint typecheck \
	dist test-py39 bench clean

all: test

$(STAMPS)/venv: requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "the pinned development tools need Python 3.11+; $(PYTHON) is $$($(PYTHON) -V 2>&1)"; \
		echo "(make PYTHON=python3.11 ...); the packages themselves run on Python 3.9+"; exit 1; }
	@scripts/ensure-command java default-jre-headless
	@echo "setting up $(VENV) with requirements-dev.txt"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json
	@echo "installing Prism with npm ci"
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

# The token store tests run a real redis-server (the Debian package).
$(STAMPS)/redis:
	@scripts/ensure-command redis-server redis-server
	@mkdir -p $(STAMPS) && touch $@

setup: $(STAMPS)/venv $(STAMPS)/npm $(STAMPS)/redis

# All packages in one JVM; remade only when a spec, config or template changed.
$(GENERATED) &: $(SPECS) $(CONFIGS) openapi/python-common.yaml $(TEMPLATES) scripts/generate.py Makefile | $(STAMPS)/venv
	@$(BIN)/python scripts/generate.py $(CONFIGS)

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

# Offline and pinned: only our packages, without dependencies (urllib3 is pinned in
# requirements-dev.txt), built with the venv's pinned setuptools instead of a downloaded one.
$(STAMPS)/install: $(GENERATED) | $(STAMPS)/venv
	@echo "installing $(PYTHON_DIRS) into $(VENV)"
	@$(BIN)/python -m pip install -q --no-index --no-deps --no-build-isolation --force-reinstall \
		$(addprefix ./,$(PYTHON_DIRS))
	@touch $@

install: $(STAMPS)/install

demo: install $(STAMPS)/npm
	@$(BIN)/python scripts/demo.py

test: install $(STAMPS)/npm $(STAMPS)/redis
	$(BIN)/python -m pytest
	node --test tests/node/

# Shortcuts to the suite's own ruff and mypy checks (tests/test_static.py).
lint: install
	$(BIN)/python -m pytest -q tests/test_static.py -k ruff

typecheck: install
	$(BIN)/python -m pytest -q tests/test_static.py -k mypy

# The packages' runtime dependency as a wheel, downloaded once: `make dist` installs
# what it built into clean venvs with --no-index, from dist/ and this folder.
$(STAMPS)/wheels: requirements-dev.txt | $(STAMPS)/venv
	@rm -rf $@ && $(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d $@ \
		"$$(grep '^urllib3==' requirements-dev.txt)"

# Every Python sdist and wheel and the Node tarball into dist/; then twine check, their
# contents, each installed into a clean venv and imported, and each package's documented
# example run against its Prism mock.
dist: $(GENERATED) $(STAMPS)/wheels $(STAMPS)/npm
	@$(BIN)/python scripts/dist.py --wheels $(STAMPS)/wheels

# The doc examples and wire tests on Python $(OLDEST), in tox env py39 with the wheels from
# dist/; skipped when no working python$(OLDEST) is found (on PATH, in pyenv, or $$OLDEST_PYTHON).
test-py39: dist
	@python=$$(for p in "$$OLDEST_PYTHON" python$(OLDEST) $(HOME)/.pyenv/versions/$(OLDEST).*/bin/python$(OLDEST); do \
		[ -n "$$p" ] && "$$p" -c 'import sys; assert "%d.%d" % sys.version_info[:2] == "$(OLDEST)"' \
			2>/dev/null && { command -v "$$p"; break; }; done); \
	if [ -z "$$python" ]; then echo "test-py39 skipped: no working python$(OLDEST) found"; \
	else echo "testing with $$python"; OLDEST_PYTHON="$$python" $(BIN)/tox -e py39; fi

# Ratios to raw urllib3 and generation times; writes bench/results.md.
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(STAMPS) node_modules dist .tox .pytest_cache .mypy_cache .ruff_cache
