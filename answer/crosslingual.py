"""Support of an answer sentence written in another language than its passages (the question's language).

A Chinese, Japanese, German, French or Spanish sentence shares few words with an English passage, and
MiniLM does not map those languages onto English, so the English rule (word recall + MiniLM cosine)
cannot support it. Such a sentence is scored instead by a multilingual embedding's cosine with each
span, and held to what no embedding checks, which reads the same in every language: every quantity it
states equals one in the span (answer/quantities.py), and every name it writes in Latin letters
(GPT-3, RLHF, BloombergGPT) is in the span. English sentences keep the English rule and its tuned
threshold: this module only answers for the others.
"""

import re
from collections.abc import Iterable, Sequence

import numpy as np

from citewise.answer.quantities import Quantity, all_supported, supplied
from citewise.core.types import Evidence
from citewise.retrieval.embeddings import Encode

# Cosine of use-multilingual-v3 between a sentence and the span that supports it, chosen on the dev
# set's tuning half (evals/history/2026-12-01-grounding-2-candidates.md).
CROSSLINGUAL_THRESHOLD = 0.45

_OTHER_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[a-zà-öø-ÿ]+")
_ENGLISH = frozenset(
    re.findall(
        r"\w+",
        "the a an of to in is are was were and with for on by that this it from as has have its be which at "
        "or can not their they these than",
    )
)
# German, French and Spanish function words (none of them an English word).
_EUROPEAN = frozenset(
    re.findall(
        r"\w+",
        "der die das und ist ein eine einen mit von zu den dem des im auf für nicht sich wird werden hat sind "
        "als auch bei nach über wie oder le la les et est un une des du de pour dans par sur qui que avec sont "
        "au aux ce cette pas il elle el los las y es una del en con por para se su al son como fue muy",
    )
)
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")


def has_other_script(text: str) -> bool:
    """Whether `text` has CJK or Hangul characters."""
    return bool(_OTHER_SCRIPT.search(text))


def latin_words(text: str) -> list[str]:
    """The words of `text` in Latin letters, accented ones included, lower-cased."""
    return _WORD.findall(text.lower())


def is_english(text: str) -> bool:
    """Whether a sentence reads as English: no CJK or Hangul, and more English function words than
    German, French or Spanish ones."""
    if has_other_script(text):
        return False
    words = latin_words(text)
    return sum(w in _ENGLISH for w in words) >= sum(w in _EUROPEAN for w in words)


def anchors(text: str) -> set[str]:
    """The names a sentence writes in Latin letters, which a translation keeps as they are.

    In a CJK sentence every Latin word but English function words ("The Transformer 架构") is one; in a
    German, French or Spanish one only the words that cannot be ordinary words of it (`coined_names`).
    """
    if has_other_script(text):
        return {n for n in _LATIN_NAME.findall(text) if len(n) > 1 and n.lower() not in _ENGLISH}
    return coined_names(text)


def coined_names(text: str) -> set[str]:
    """The Latin-script words of `text` that no language would translate: with a digit (GPT-3), two
    capitals (RLHF) or a capital inside (ChatGPT)."""
    return {
        n
        for n in _LATIN_NAME.findall(text)
        if any(c.isdigit() for c in n) or any(c.isupper() for part in re.split(r"[-.]", n) for c in part[1:])
    }


def missing_names(names: Iterable[str], passage: str) -> list[str]:
    """The `names` that `passage` does not write, in any case. A name with a digit must end where the
    passage's does (GPT-4 is not GPT-4o nor GPT-4.5); a word may go on (Transformer, Transformers)."""
    lowered = passage.lower()
    missing = []
    for name in names:
        end = r"(?![a-z0-9]|[.-][a-z0-9])" if any(c.isdigit() for c in name) else ""
        if not re.search(r"(?<![a-z0-9])" + re.escape(name.lower()) + end, lowered):
            missing.append(name)
    return missing


class CrossLingualSupport:
    """Scores the spans of the passages for sentences that are not in English (embedded once, on demand)."""

    def __init__(self, passages: Sequence[Evidence], embed: Encode, threshold: float = CROSSLINGUAL_THRESHOLD) -> None:
        self.passages = passages
        self.embed = embed
        self.threshold = threshold
        self._texts: list[str] = []
        self._vectors: np.ndarray | None = None
        self._offered: list[list[Quantity]] = []

    def applies(self, sentence: str) -> bool:
        """Whether this rule, not the English one, judges the sentence."""
        return not is_english(sentence)

    def scores(
        self, sentence: str, claimed: list[Quantity], index: Sequence[tuple[int, tuple[int, int]]]
    ) -> np.ndarray:
        """Support of `sentence` by each span of `index` ((passage position, span)): the multilingual cosine,
        or 0 where the span lacks one of its quantities or Latin names.

        The span itself must hold them, not just its passage: the cosine of a multilingual model hardly
        tells GPT-2's line of a table from GPT-3's, the names and figures do."""
        if self._vectors is None:
            self._texts = [self.passages[p].hit.chunk.text[s:e] for p, (s, e) in index]
            self._vectors = self.embed(self._texts)
            self._offered = [supplied(text) for text in self._texts]
        cosine = self._vectors @ self.embed([sentence])[0]
        names = anchors(sentence)
        return np.array(
            [
                float(cosine[i]) if all_supported(claimed, self._offered[i]) and not missing_names(names, text) else 0.0
                for i, text in enumerate(self._texts)
            ]
        )
