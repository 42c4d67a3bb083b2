"""Whether the figures and dates a claim gives its subject are, in the passage, given for that subject.

Most wrong answers that carry a citation take a value from the right passage and bind it to the wrong
entity: "GPT-2 had 117 million parameters" from a table whose 117 million is on GPT-1's row; "The
Transformer was proposed in December 2023" from the sentence where December 2023 is Mamba's date. Every
word of such a claim is in the passage, so overlap and cosine pass it; the binding does not hold.

A value is bound to the subject when some place the passage writes it (its line, or its sentence in prose)
names the subject; a place that names nothing ("It had 117 million parameters") takes the names of the
nearest line before it in the same paragraph, then the passage's heading. The subject is what the
question names and the claim repeats, else the claim's first name; a claim that names nothing has no
binding to check. A value the passage does not write at all is the quantity gate's and the judge's concern.
"""

import re
from dataclasses import dataclass

from citewise.answer.crosslingual import missing_names
from citewise.answer.quantities import Quantity, matches, quantities, supplied
from citewise.answer.sentences import split_sentences

# A Latin-script word, with its inner hyphens and dots (GPT-3.5); `_names` says which words are names.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
# How many lines before a nameless one may hold the name it speaks of ("GPT-1 ... It had 117 million").
LOOK_BACK = 2
# A name and its number ("Claude 4", "Gemini 2.5"), not a figure: no scale word or unit follows the number.
_NUMBERED_NAME = re.compile(
    r"\b([A-Z][A-Za-z0-9-]*)\s(\d+(?:\.\d+)?)\b"
    r"(?![\d.,]*\s*(?:thousand|million|billion|trillion|%|percent|[KMGT]B\b|[KMBT]\b))"
)
_MONTHS = frozenset(
    re.findall(
        r"\w+",
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec",
    )
)
# Words that begin sentences without naming anything; any other capitalized first word is a name ("Claude").
_STARTERS = frozenset(
    re.findall(
        r"\w+",
        "the a an this that these those there it its he she they we you i yes no both each all some many most "
        "when while after before since however also because if as at for with by from to of in on one two "
        "what which who why how where here not only and but or so then thus",
    )
)
# Units and scales written in capitals (175B, 45 TB): part of a quantity, not a name.
_UNITS = frozenset({"K", "M", "B", "T", "KB", "MB", "GB", "TB", "PB", "BN"})


def _names(unit: str) -> set[str]:
    """The names in `unit`: words with a digit or an inner capital (GPT-3, OpenAI, RLHF), and capitalized words
    but months, units and the words sentences begin with ("The", "It")."""
    names = set()
    for match in _NAME.finditer(unit):
        word = match.group()
        if word.upper() in _UNITS or word.lower() in _MONTHS:
            continue
        coined = any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:])
        capitalized = word[0].isupper() and len(word) > 1 and word.lower() not in _STARTERS
        if coined or capitalized:
            names.add(word)
    return names


@dataclass(frozen=True)
class Unbound:
    """A value of the claim that the passage gives only for other entities."""

    value: str
    bound_to: tuple[str, ...]  # the names the passage binds it to instead


def subject_of(question: str, claim: str) -> set[str]:
    """Whom the claim's values must belong to: the names of the question that the claim repeats, else the
    claim's first name (a sentence names its subject first: "GPT-2 had 117 million parameters")."""
    names = _names(question)
    repeated = names - set(missing_names(names, claim))
    if repeated:
        return repeated
    first = next((m for m in _NAME.finditer(claim) if m.group() in _names(claim)), None)
    return {first.group()} if first else set()


def _values(claim: str) -> list[Quantity]:
    """The claim's figures and dates, but the digits of its names (GPT-2, Claude 4). Names as values were
    measured and dropped: list items on lines of their own and multi-word names ("Flash Attention") read as
    values bound to their neighbours, and correct answers were refused."""
    unnamed = _NUMBERED_NAME.sub(lambda m: m.group() if m.group(1).lower() in _MONTHS else m.group(1) + " N", claim)
    return quantities(_NAME.sub(lambda m: "N" if any(c.isdigit() for c in m.group()) else m.group(), unnamed))


def unbound_values(claim: str, subject: set[str], passage: str, heading: str = "") -> list[Unbound]:
    """The claim's figures and dates that `passage` writes only in places naming other entities than `subject`."""
    if not subject:
        return []
    units = split_sentences(passage)
    unbound = []
    for value in _values(claim):
        places = [_binder(passage, units, i, heading) for i, unit in enumerate(units) if _writes(value, unit, passage)]
        if not places or any(not place or _names_any(subject, place) for place in places):
            continue  # not written here (the quantity gate's concern), or written for the subject or for no one
        unbound.append(Unbound(value.text, tuple(sorted({n for place in places for n in _names(place)}))))
    return unbound


def _names_any(subject: set[str], text: str) -> bool:
    return len(missing_names(subject, text)) < len(subject)


def _writes(value: Quantity, unit: tuple[int, int], passage: str) -> bool:
    return any(matches(value, offered) for offered in supplied(passage[unit[0] : unit[1]]))


def _binder(passage: str, units: list[tuple[int, int]], index: int, heading: str) -> str:
    """The text naming what the value at `units[index]` belongs to: its own line if that names anything, else
    the nearest line before it in the same paragraph that does, else the heading; "" when nothing does."""
    for back in range(LOOK_BACK + 1):
        i = index - back
        if i < 0 or (back and "\n\n" in passage[units[i][1] : units[i + 1][0]]):
            break
        line = passage[units[i][0] : units[i][1]]
        if _names(line):
            return line
    return heading if _names(heading) else ""
