# The README's two commands: `make demo` and `make test`. Each sets everything up on a fresh
# Debian machine (system packages, virtual environment, Python dependencies), then runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# tesseract with Korean data for scanned job postings; Nanum fonts for Korean in charts and images;
# chromium for the test that opens a rendered brief in a real (headless) browser.
SYSTEM_PACKAGES ?= tesseract-ocr tesseract-ocr-kor fonts-nanum chromium
EXTRAS ?= ocr,nlp,llm,linkage,notebooks,dev
# torch is installed first and pinned: 2.13.0 is the CPU build on local disk; an unpinned torch
# (pulled in by transformers) would download a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0

.PHONY: setup system-packages demo test lint clean

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "installing system packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "talentlib needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH_SPEC)
	$(PIP) install -q -e ".[$(EXTRAS)]"
	@$(PY) -c 'import torch, sys; sys.exit(0 if "+cpu" in torch.__version__ or not torch.cuda.is_available() else "a CUDA build of torch was installed")'
	touch $@

setup: system-packages $(VENV)/.installed

demo: setup
	$(VENV)/bin/talent demo

test: setup
	$(PY) -m pytest -q

lint:
	$(VENV)/bin/ruff check talentlib tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
