"""Sentence boundaries with character offsets (English and Chinese punctuation, and line breaks)."""

import re

# A sentence ends at . ! ? followed by space (not inside "1.5" or "e.g."), at 。！？, or at a line break.
# Every test looks back, except the one character of space after . ! ?: so a boundary found in the
# start of a text stays a boundary however the text goes on (what `closed_sentences` relies on).
_END = re.compile(r"(?<!\b[A-Za-z]\.)(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)|[。！？]|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence of `text`, whitespace trimmed."""
    spans, rest = closed_sentences(text)
    return spans + _trimmed(text, [(rest, len(text))])


def closed_sentences(text: str) -> tuple[list[tuple[int, int]], int]:
    """The sentences of a text still being written that no further text can change (as `split_sentences`
    gives them), and where the open rest begins: a sentence is closed once the next one has begun."""
    raw: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        raw.append((start, match.end()))
        start = match.end()
    return _trimmed(text, raw), start


def _trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    trimmed = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            trimmed.append((s + lead, s + len(piece.rstrip())))
    return trimmed
