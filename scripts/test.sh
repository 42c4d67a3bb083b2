#!/usr/bin/env bash
# Set up (scripts/setup.sh --test) and run the whole test suite, the real LLM and browser included.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not slow"` for the fast set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "==> Running the tests"
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
