# Two commands do everything on a fresh Debian 12 machine (as root):
#   make demo   installs what is missing, then starts the kiosk in training mode
#   make test   installs what is missing (apt packages too), checks the code (ruff, format,
#               mypy --strict, import contracts), then runs the whole suite
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := /var/tmp/netca-kiosk-apt.stamp
# Debian packages the stand-ins and tests need (see ../shared/docs/STACK.md):
# SoftHSM2 (blank USB keys), pcscd + vpcd (ID card reader), PC/SC headers (pyscard builds from
# source), CJK fonts (seal generator, raster receipts), tmux (real-terminal tests), opensc (pkcs11-tool),
# postgresql (the hub's tests also run on a throwaway PostgreSQL cluster on loopback).
APT_PACKAGES := softhsm2 pcscd vsmartcard-vpcd libpcsclite-dev swig fonts-noto-cjk fonts-wqy-zenhei tmux opensc postgresql chromium foot

.PHONY: demo test pytest bench check lint typecheck sys venv clean lock

# The folders ruff checks and formats.
CODE := kiosk hardware screens data hub tests bench

# Re-checked whenever the Makefile (and so the package list) changes.
$(APT_STAMP): Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

sys: $(APT_STAMP)

# uv installs from the lock file: fast, reproducible, and the same resolver wrote the lock.
$(STAMP): requirements.lock pyproject.toml | $(APT_STAMP)
	@command -v uv >/dev/null 2>&1 || $(PY) -m pip install -q uv
	@test -x $(BIN)/python || uv venv -q --python $(PY) $(VENV)
	uv pip sync -q --python $(BIN)/python requirements.lock
	uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/kiosk --training

# The README's test command (and CI's): every check the docs promise, then the whole suite.
# A failing check stops here with its own output.
test: lint typecheck
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The suite alone, for iterating (PYTEST_ARGS picks tests: make pytest PYTEST_ARGS="-x tests/unit").
pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

# mypy --strict on every package (pyproject's [tool.mypy]), then the import-linter contracts.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

check: test

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
