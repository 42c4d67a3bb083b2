"""Word tokens for keyword search, for English and Chinese alike.

Latin text is lower-cased, split into words (keeping "gpt-3", "1.5", "117m" whole) and
stripped of stop words; CJK runs are segmented with jieba's search mode, so a Chinese
question matches Chinese text word by word (and its Latin terms still match English text).
"""

import logging
import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "more",
        "most",
        "much",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "also",
        "any",
        "each",
        "other",
        "only",
        "own",
        "same",
        "some",
        "very",
        "s",
        "t",
        "just",
        "的",
        "了",
        "和",
        "是",
        "在",
        "有",
        "也",
        "就",
        "都",
        "而",
        "及",
        "与",
        "着",
        "或",
        "一个",
        "什么",
        "哪些",
        "多少",
        "如何",
        "怎么",
        "吗",
        "呢",
        "吧",
        "啊",
        "我",
        "你",
        "他",
        "它",
        "们",
        "这",
        "那",
    ]
)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _stem(word: str) -> str:
    """A light plural strip, so "parameters" matches "parameter"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Search tokens of `text`."""
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        if _CJK.match(word):
            tokens.extend(t for t in _jieba().cut_for_search(word) if t.strip() and t not in _STOP)
        elif word not in _STOP:
            tokens.append(_stem(word))
    return tokens
