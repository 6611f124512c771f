#!/usr/bin/env bash
# The Python suite under every interpreter on the machine, against one wheel.
#
#   tests/pythons.sh WHEEL [PYTEST ARGS...]
#
# shortlong's wheel is py3-none (CFFI's ABI mode: no extension module is
# compiled for an interpreter), so the one wheel `make wheel` builds is
# installed into a virtual environment per interpreter (.venvs/NAME, made
# with uv) and the suite is run there from the installed package, not the
# checkout. CPython 3.9-3.13 are looked for on PATH and in pyenv; PyPy is
# installed with apt-get where it is missing and apt-get works. An
# interpreter that cannot be had is reported and skipped, not failed. The
# data-frame libraries are installed where wheels exist for them (not on
# PyPy, where the tests that need them skip); Dask is tested by the main run.
set -euo pipefail
wheel=$1
shift
uv=${UV:-.venv/bin/uv}
root=.venvs
mkdir -p "$root"

# The first candidate that runs (a pyenv shim on PATH may not).
find_python() {
  local v=$1 p
  for p in "$HOME"/.pyenv/versions/"$v".*/bin/"python$v" "$(command -v "python$v" || true)"; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c "" 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

find_pypy() {
  if command -v pypy3 >/dev/null; then command -v pypy3; return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pythons: installing pypy3 with apt-get" >&2
    { apt-get update -qq && apt-get install -y -qq pypy3 pypy3-venv; } >/dev/null 2>&1 || true
  fi
  command -v pypy3
}

ran=() failed=() skipped=()
for name in 3.9 3.10 3.12 3.13 pypy3; do
  if [ "$name" = pypy3 ]; then py=$(find_pypy) || py=""; else py=$(find_python "$name") || py=""; fi
  if [ -z "$py" ]; then
    echo "pythons: $name not found: skipped"
    skipped+=("$name")
    continue
  fi
  env=$root/$name
  echo "pythons: $name ($py)"
  [ -x "$env/bin/python" ] || "$uv" venv -q -p "$py" "$env"
  "$uv" pip install -q -p "$env/bin/python" --reinstall-package shortlong \
    "$wheel" pytest hypothesis numpy
  if [ "$name" != pypy3 ]; then
    "$uv" pip install -q -p "$env/bin/python" --only-binary :all: pyarrow pandas polars ||
      echo "pythons: $name: no wheels of the data-frame libraries; their tests skip"
  fi
  # From the checkout's tests, against the installed package (the tests
  # directory, not the repository root, is put on sys.path).
  if "$env/bin/python" -m pytest -q -p no:cacheprovider "$@" tests; then
    ran+=("$name")
  else
    failed+=("$name")
  fi
done
echo "pythons: passed on ${ran[*]:-none}; failed on ${failed[*]:-none}; skipped ${skipped[*]:-none}"
[ ${#failed[@]} = 0 ]
