# MNSS Lab: `make run` brings the platform up, `make test` runs the whole suite (as root, Debian/Ubuntu).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian's own interpreter (Mininet's Debian package is installed for it); 3.11 where the default is older.
SYSTEM_PYTHON = $(shell command -v python3.11 >/dev/null && echo /usr/bin/python3.11 || echo /usr/bin/python3)
PYTEST_ARGS ?=
# jsonschema loads rfc3987-syntax when it is there, which builds ~30 Earley parsers at import: 1.3-1.6 s
# of CPU in every hub, server, formgrader, canvas kernel and nbgrader start. No schema of ours or
# Jupyter's uses the `iri` formats it checks, so it is left out after every install (also in the
# image and the Ansible role; tests/unit/test_startup_imports.py).
SLOW_IMPORTS := rfc3987-syntax
# The Ansible controller (ansible/): its own venv, so its pins never meet the platform's.
ANSIBLE_VENV ?= .venv-ansible

.PHONY: run test test-fast lint install install-test images ansible config-docs labextension clean

$(VENV)/.installed: pyproject.toml scripts/install-system.sh scripts/link-mininet.sh
	scripts/install-system.sh
	test -x $(PY) || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	$(PY) -m pip uninstall -q -y $(SLOW_IMPORTS)
	scripts/link-mininet.sh $(VENV)
	touch $@

install: $(VENV)/.installed

OIDC_TEST_PROVIDER := tests/support/oidc
$(VENV)/.installed-test: $(VENV)/.installed $(OIDC_TEST_PROVIDER)/package-lock.json
	scripts/install-system.sh --test
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip uninstall -q -y $(SLOW_IMPORTS)
	cd $(OIDC_TEST_PROVIDER) && npm ci --no-audit --no-fund --silent  # the OpenID Connect provider of the SSO tests
	touch $@

install-test: $(VENV)/.installed-test ansible

## The Ansible controller (ansible-core, ansible-lint) in $(ANSIBLE_VENV), from ansible/requirements.txt.
$(ANSIBLE_VENV)/.installed: ansible/requirements.txt
	test -x $(ANSIBLE_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(ANSIBLE_VENV)
	$(ANSIBLE_VENV)/bin/python -m pip install -q -r ansible/requirements.txt
	touch $@

ansible: $(ANSIBLE_VENV)/.installed

## Start the platform on the site config (./mnss.yaml, /etc/mnss/mnss.yaml, else built-in defaults).
run: install
	$(VENV)/bin/mnss-hub run

## Start the Docker engine (userns-remap) and build the single-user image; no registry needed
## (the base is made with debootstrap). Extra CA certificates: see images/build.sh.
images: install
	scripts/docker-engine.sh
	MNSS_DEBOOTSTRAP=1 PYTHON=$(PY) images/build.sh

## Lint (below), then install what the tests need (Docker engine and images included) and run the whole suite.
test: lint images
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

## ruff's lint rules and format check, and the one-way import contract (pyproject.toml); also a pre-commit hook.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	cd ansible && PATH=$(abspath $(ANSIBLE_VENV))/bin:$$PATH ansible-lint --offline -q

## Unit tests only: no root, no processes.
test-fast: install-test
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

## Rebuild the JupyterLab panel (needs node/npm) and record its sources' hash; commit the result.
PANEL := extensions/mnss_panel
labextension: install
	cd $(PANEL) && npm ci --no-audit --no-fund && npx tsc && PATH=$(abspath $(VENV))/bin:$$PATH jupyter labextension build .
	$(PY) $(PANEL)/sources_hash.py
	$(PY) -m pip install -q --no-deps -e .

config-docs: install
	$(VENV)/bin/mnss-hub config-docs --readme README.md
	$(VENV)/bin/mnss topo reference > docs/topology-reference.md
	$(VENV)/bin/mnss course counts --readme README.md

clean:
	rm -rf $(VENV) $(ANSIBLE_VENV) .pytest_cache ansible/.build
