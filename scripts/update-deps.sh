#!/usr/bin/env bash
# Move requirements.lock forward: resolve the newest versions pyproject.toml allows, install them in a
# throwaway environment, run the fast tests there, and write the lock only if they pass. Run it once a
# month, and after changing a dependency in pyproject.toml; commit the new lock with what the tests said.
#   scripts/update-deps.sh                 every package to its newest allowed version
#   scripts/update-deps.sh --keep          only what pyproject.toml changed; the other pins stay
# Extra arguments after -- go to pytest (default: the fast set, -m "not slow and not browser").
set -euo pipefail
cd "$(dirname "$0")/.."

upgrade=(--upgrade)
if [ "${1:-}" = "--keep" ]; then upgrade=(); shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(-m "not slow and not browser")

# uv resolves (in seconds, for every platform at once); it comes locked with the test tools.
[ -x .venv/bin/uv ] || scripts/setup.sh --test
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp requirements.lock "$work/requirements.lock"

echo "==> Resolving the newest versions pyproject.toml allows"
.venv/bin/uv pip compile pyproject.toml scripts/pip.in --extra test --universal --python-version 3.11 \
  "${upgrade[@]}" --custom-compile-command scripts/update-deps.sh --quiet --output-file "$work/requirements.lock"
changes=$(diff <(grep -E '^[A-Za-z0-9]' requirements.lock) <(grep -E '^[A-Za-z0-9]' "$work/requirements.lock") || true)
if [ -z "$changes" ]; then
  echo "==> requirements.lock is up to date: nothing newer is allowed"
  exit 0
fi
echo "$changes" | grep -E '^[<>]' | sed 's/^</    was/; s/^>/    now/'

echo "==> Installing them in a throwaway environment and running the tests there"
CITEWISE_VENV="$work/venv" CITEWISE_LOCK="$work/requirements.lock" scripts/setup.sh --test
if ! CITEWISE_LOCK="$work/requirements.lock" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"; then
  echo "==> The tests failed on the new versions: requirements.lock is unchanged." >&2
  echo "    Bound the package that broke in pyproject.toml (e.g. 'openai<4'), then run this again." >&2
  exit 1
fi
cp "$work/requirements.lock" requirements.lock
echo "==> requirements.lock moved forward. Now: scripts/setup.sh (brings .venv to it), then commit the lock."
