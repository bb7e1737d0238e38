# Two commands do everything on a fresh machine with Rust and Python 3: `make run`, `make test`.
# libtorch comes from the pinned `torch` wheel in a project-local venv (tch 0.26 needs 2.13.0),
# unless LIBTORCH points at an existing libtorch, in which case the venv is skipped.
TORCH_VERSION := 2.13.0
VENV := .venv
TORCH_STAMP := $(VENV)/.torch-$(TORCH_VERSION)
PYTHON ?= python3
CARGO ?= cargo
ARGS ?=

ifeq ($(LIBTORCH),)
LIBTORCH_DEP := $(TORCH_STAMP)
export LIBTORCH_USE_PYTORCH := 1
export PYTHON_SYS_EXECUTABLE := $(CURDIR)/$(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
else
LIBTORCH_DEP :=
endif

.PHONY: run test build bench lint fmt clean-venv

run: build
	./target/release/prefbench run $(ARGS)

test: $(LIBTORCH_DEP)
	$(CARGO) fmt --all -- --check
	$(CARGO) test --release --workspace

build: $(LIBTORCH_DEP)
	$(CARGO) build --release -p prefbench

bench: $(LIBTORCH_DEP)
	$(CARGO) bench -p prefbench-baselines

lint: $(LIBTORCH_DEP)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

$(TORCH_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q torch==$(TORCH_VERSION)
	touch $@

clean-venv:
	rm -rf $(VENV)
