"""Text shown as typed where Markdown is read: a Streamlit label, an exported Markdown file."""

import re
import string

_MARKDOWN_PUNCTUATION = re.compile(f"([{re.escape(string.punctuation)}])")


def markdown_literal(text: str) -> str:
    """`text` with every ASCII punctuation mark backslash-escaped (CommonMark lets any of them be), so no
    emphasis, link, image, HTML tag, heading, list, quote, code or table can start in it: it shows as typed."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
