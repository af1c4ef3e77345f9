# Family-portal account platform. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORTAL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/portal
SYSTEM_PYTHON ?= python3
# uv, pinned with hashes, installs the workspace from its one lock (uv.lock).
UV_HOME := $(PORTAL_CACHE)/uv-$(shell sha256sum deploy/uv-requirements.txt | cut -c1-16)
UV := $(UV_HOME)/bin/uv
# One environment per checkout and lock: the five packages are installed editable from this checkout.
VENV_KEY := $(shell (echo "$(CURDIR)"; cat uv.lock pyproject.toml services/*/pyproject.toml) | sha256sum | cut -c1-16)
VENV := $(PORTAL_CACHE)/venv-$(VENV_KEY)
PYTHON := $(VENV)/bin/python
GEN := build/gen/python

export PORTAL_CACHE PYTHON
export UV_CACHE_DIR := $(PORTAL_CACHE)/uv-cache
export UV_PYTHON_DOWNLOADS := never
export MYPY_CACHE_DIR := $(PORTAL_CACHE)/mypy
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv protos lock lint docs openapi test test-fast pentest bench up down agent infra-up infra-down infra-status install-tools clean \
	cluster-up cluster-down cluster-status cluster-install test-cluster screenshots translations

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

venv: $(VENV)/.complete ## install the workspace (editable, with its console scripts) in a cached environment
$(VENV)/.complete: uv.lock pyproject.toml $(wildcard services/*/pyproject.toml) $(UV)
	@echo "[make] installing the workspace into $(VENV)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync -q --frozen --python "$$(command -v $(SYSTEM_PYTHON))"
	@# the generated protos (make protos) are importable like an installed package
	@echo "$(CURDIR)/$(GEN)" > "$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/portal-protos.pth"
	@touch $@

$(UV): deploy/uv-requirements.txt
	@$(SYSTEM_PYTHON) -m venv $(UV_HOME)
	@$(UV_HOME)/bin/pip install -q --disable-pip-version-check --require-hashes -r deploy/uv-requirements.txt

protos: venv ## generate Python code from protos/ into build/gen (not committed)
	@rm -rf $(GEN) && mkdir -p $(GEN)
	@$(PYTHON) -m grpc_tools.protoc -Iprotos --python_out=$(GEN) --pyi_out=$(GEN) --grpc_python_out=$(GEN) \
	  $$(find protos -name '*.proto' | sort)

lock: $(UV) ## re-lock the workspace (uv.lock) after editing a pyproject.toml
	@$(UV) lock --python "$$(command -v $(SYSTEM_PYTHON))"

lint: protos ## ruff, and mypy (strict on portal_common; the generated stubs type the protos)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy --strict -p portal_common -m deploy.local.topology
	@$(VENV)/bin/mypy -p portal_identity -p portal_billing_statement -p portal_document_store -p portal_notification -p portal_web

translations: venv ## the web pages' texts: extract, merge into the English catalogue (translate the new ones), compile
	@mkdir -p build
	@cd services/web && $(VENV)/bin/pybabel -q extract -F babel.cfg -k _l --no-location -o $(CURDIR)/build/messages.pot . && \
	  $(VENV)/bin/pybabel -q update -i $(CURDIR)/build/messages.pot -d portal_web/translations -w 120 -N --ignore-obsolete && \
	  $(VENV)/bin/pybabel -q compile -d portal_web/translations

docs: protos ## rewrite the READMEs' settings tables from the typed configs
	@$(PYTHON) deploy/local/settings_docs.py

openapi: protos ## the gateway's OpenAPI document (every routed operation of the four services): docs/api/openapi.json
	@$(PYTHON) deploy/openapi_gateway.py

test-fast: protos ## the unit tier: pure rules, no stack, seconds
	@$(PYTHON) -m pytest tests/unit -q $(ARGS)

install-tools: venv ## install Kafka, FerretDB, wkhtmltopdf, nginx (cached, first run only)
	@deploy/local/stack.sh install

infra-up: protos install-tools ## start Kafka, FerretDB and the SMTP sink on the default ports
	@deploy/local/stack.sh up

infra-down: ## stop Kafka, FerretDB and the SMTP sink
	@deploy/local/stack.sh down

infra-status: ## show what runs
	@deploy/local/stack.sh status

up: infra-up ## run the platform locally (infrastructure + every service) and print the URLs
	@deploy/local/platform.sh up

agent: ## create a structure's first agent on the running platform: make agent STRUCTURE=demo LOGIN=a@b.fr NAME="Agent"
	@env $$(cat $(PORTAL_CACHE)/run/local/services/identity.env) $(VENV)/bin/portal-identity create-agent \
	  --structure "$(STRUCTURE)" --login "$(LOGIN)" --display-name "$(NAME)"

down: ## stop the local platform
	@deploy/local/platform.sh down
	@deploy/local/stack.sh down

test: protos install-tools lint ## lint, install what is missing, start a private test stack, run every test, stop it
	@deploy/local/run-tests.sh $(ARGS)

fuzz: protos install-tools ## the schemathesis run of `make test`, longer (FUZZ_EXAMPLES=300 per operation)
	@FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} deploy/local/run-tests.sh tests/e2e/test_schemathesis_fuzzing.py -s $(ARGS)

pentest: protos install-tools ## replay #20's attacks on the whole platform (topic, databases, Kafka, gRPC, floods, races)
	@deploy/local/run-tests.sh tests/e2e/test_attacks.py $(ARGS)

cluster-up: ## build (first run, cached) and start the single-node Kubernetes test cluster
	@deploy/cluster/cluster.sh up

cluster-down: ## stop the test cluster and undo its host changes (data kept for the next cluster-up)
	@deploy/cluster/cluster.sh down

cluster-status: ## show the test cluster's processes, node and pods
	@deploy/cluster/cluster.sh status

cluster-install: install-tools ## install Kafka, FerretDB and the portal chart on the running test cluster
	@deploy/cluster/release.sh deps
	@deploy/cluster/release.sh install

test-cluster: protos install-tools ## only the cluster tests: cluster up, release installed, tests, cluster down
	@deploy/local/run-tests.sh --cluster-only $(ARGS)

screenshots: protos install-tools ## the browser journeys, writing every page at 320 px and 1280 px to tests/web/screenshots
	@PORTAL_SCREENSHOTS=$(CURDIR)/tests/web/screenshots deploy/local/run-tests.sh tests/e2e/test_browser.py $(ARGS)

bench: protos install-tools ## run the benchmarks; results in bench/results/
	@deploy/local/run-bench.sh $(ARGS)

clean: ## remove generated code (caches outside the tree are kept)
	@rm -rf build .pytest_cache
