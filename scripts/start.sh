#!/usr/bin/env bash
# Set up citewise (scripts/setup.sh), index the bundled corpus, and open the web UI.
# Safe to run again: unchanged documents are skipped. Pass --port N to choose the port.
# Each step prints how long it took, so a first run shows where its minutes go.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> Indexing corpus/ (unchanged files are skipped)"
started=$SECONDS
.venv/bin/citewise ingest corpus
echo "    ($(( SECONDS - started )) s)"
echo "==> Example: .venv/bin/citewise ask \"How many parameters did GPT-1 have?\""
exec .venv/bin/citewise ui "$@"
