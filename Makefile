# Two entry points (see README):
#   make run   build everything in .venv and compare with the pure-Python reference
#   make test  every linter and test suite (what CI runs)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FILE   ?= ../shared/data/formalSentences.txt
LIB    := target/release/libshortlong_ffi.a
HEADER := crates/shortlong-ffi/include/shortlong.h
CEX    := examples/c/count_file

.PHONY: run test venv develop lint rust-test c-example py-test py-pythons wheel check-input header clean bench bench-kernels bench-pythons sanitize

$(VENV)/.installed: requirements-dev.txt
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

WHEELS := target/wheels

venv: $(VENV)/.installed

# Build the Rust library and install the package into .venv (editable). uv
# installs the dependencies: pip printed a line for each optional one.
develop: venv
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH \
	  $(VENV)/bin/maturin develop --release -q --uv

# The input first: a missing file is said before anything is built.
check-input:
	@[ -f "$(FILE)" ] || { \
	  echo "make run: $(FILE) not found."; \
	  echo "  The sample is formalSentences.txt, the 1.1 MB text of the article in ../shared/seed.md"; \
	  echo "  (a checkout of shortlong keeps it in ../shared/data/). Or count any UTF-8 file:"; \
	  echo "  make run FILE=path/to/file.txt"; exit 1; }

run: check-input
	@$(MAKE) --no-print-directory develop
	$(PY) bench/compare_seed.py $(FILE)

# A wheel that pip accepts on older Linux too (manylinux2014: glibc 2.17),
# linked with zig (from PyPI, no download of its own); it is py3-none, one
# for every Python 3.9+ and PyPy. Without Rust, `pip install` it.
wheel: venv
	rm -rf $(WHEELS)
	$(PY) -m pip install -q ziglang==0.17.1
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH \
	  $(VENV)/bin/maturin build --release -q --zig --compatibility manylinux2014 -o $(WHEELS)
	@ls $(WHEELS)/*.whl

test: lint rust-test sanitize c-example py-test py-pythons
	@echo "make test: all suites passed"

lint: venv
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests bench
	$(VENV)/bin/ruff format --check python tests bench

# Includes the header check (crates/shortlong-ffi/tests/header.rs). The
# second run forces the portable backend for every default call, so that the
# fallback cannot rot on a machine with AVX-512 (the backend tests also run
# every available backend directly).
rust-test:
	cargo test --workspace
	SHORTLONG_BACKEND=portable cargo test -p shortlong --release

# The unsafe code (SIMD backends, C ABI) under AddressSanitizer, with the
# nightly toolchain (valgrind cannot run the AVX-512 backend).
sanitize:
	@if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then \
	  RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan SHORTLONG_PROPTEST_CASES=300 \
	    cargo +nightly test --profile sanitize --target x86_64-unknown-linux-gnu \
	    -p shortlong -p shortlong-ffi --lib --test exact --test abi; \
	else echo "sanitize: no nightly toolchain (rustup toolchain install nightly): skipped"; fi

bench-kernels:
	cargo bench -p shortlong --bench kernels

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-bench.txt
	touch $@

# The benchmark suite: writes bench/results/results.{md,json}.
bench: develop $(VENV)/.bench-installed
	$(PY) bench/run.py

# Regenerate the committed C header after changing the C ABI.
header:
	SL_BLESS=1 cargo test -p shortlong-ffi --test header

$(LIB): $(shell find crates -name '*.rs' -o -name Cargo.toml) Cargo.lock
	cargo build --release -p shortlong-ffi

$(CEX): examples/c/count_file.c $(HEADER) $(LIB)
	cc -std=c11 -Wall -Wextra -Werror -I crates/shortlong-ffi/include $< $(LIB) -lpthread -ldl -lm -o $@

# The C example is compiled here and run (plain and under valgrind) by
# tests/test_c_example.py, which checks its output against the reference.
c-example: $(CEX)
	@command -v valgrind >/dev/null || { echo "installing valgrind"; \
	  { apt-get update -qq && apt-get install -y -qq valgrind; } || \
	  echo "valgrind could not be installed: the valgrind test skips"; }

py-test: develop c-example
	$(VENV)/bin/mypy
	SHORTLONG_C_EXAMPLE=$(abspath $(CEX)) $(VENV)/bin/pytest -q
	$(VENV)/bin/pytest -q -p no:cacheprovider --doctest-modules python/shortlong \
	  --ignore=python/shortlong/__main__.py

# The suite on every other interpreter (CPython 3.9-3.13, PyPy), from the
# wheel, as users install it (see tests/pythons.sh; 3.11 is py-test's).
py-pythons: wheel
	tests/pythons.sh $$(ls $(WHEELS)/*.whl)

# short_long(str) against str.encode() of the same str, on every interpreter
# that py-pythons set up.
bench-pythons:
	for py in .venvs/*/bin/python $(PY); do $$py bench/str_paths.py; done

clean:
	cargo clean
	rm -rf $(VENV) .venvs $(CEX) python/shortlong/_native
