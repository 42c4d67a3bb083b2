"""Sentence boundaries with character offsets (English and Chinese punctuation, and line breaks)."""

import re

# A sentence ends at . ! ? followed by space (not inside "1.5" or "e.g."), at 。！？, or at a line break.
_END = re.compile(r"(?<!\b[A-Za-z]\.)(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)|[。！？]|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            trimmed.append((s + lead, s + len(piece.rstrip())))
    return trimmed
