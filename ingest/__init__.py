"""Load, clean, chunk and index documents."""

from pathlib import Path

# The sample articles about large language models that ship with citewise (the dev set asks about them).
BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
