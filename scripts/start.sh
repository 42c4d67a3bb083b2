#!/usr/bin/env bash
# Set up citewise (scripts/setup.sh), index the bundled corpus, and open the web UI.
# Safe to run again: unchanged documents are skipped. Pass --port N to choose the port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> Indexing corpus/ (unchanged files are skipped)"
.venv/bin/citewise ingest corpus
echo "==> Example: .venv/bin/citewise ask \"How many parameters did GPT-1 have?\""
exec .venv/bin/citewise ui "$@"
