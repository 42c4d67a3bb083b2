"""What a question asks for, and whether a supported sentence answers it (the near-miss rule).

A sentence can be true to its passage and still answer another question: asked for GPT-3's learning
rate, a passage gives its parameter count. So each part of a question gets a type (a number, a date,
a person, ...) and, when it asks for a quantity, an attribute (the words naming what is measured:
"learning rate"); a sentence answers that part only when it and its supporting span state that type,
and the span (or its heading) names the attribute. A question about what no cited passage names (the
2022 FIFA World Cup, asked of passages about ChatGPT) is refused too. Plain rules, English first, with
the question words of zh/ja/de/fr/es.
"""

import re
from dataclasses import dataclass
from typing import Literal

from citewise.answer.citations import Verified
from citewise.answer.crosslingual import coined_names, is_english, missing_names
from citewise.answer.prompt import NOT_FOUND
from citewise.retrieval.tokenize import tokenize

AskedType = Literal["number", "date", "person", "place", "definition", "yesno", "reason", "list", "other"]

# An attribute names at most this many words; the first ones after the question word are what is asked.
MAX_ATTRIBUTE_WORDS = 3
# The share of the attribute's words its span (or heading) may lack: "context window size" is answered
# by "a context window of 1M tokens", but "learning rate" not by "reinforcement learning".
ATTRIBUTE_MISSING = 1 / 3

# The refusal of a near miss: the passages state something close, not what was asked.
NOT_ANSWERED = f"{NOT_FOUND[:-1]}: the passages found state something close to the question, not what it asks."
# Question words, first match wins: order the specific ("what year") before the general ("what").
_TYPES: tuple[tuple[AskedType, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            r"\b(?:when|what year|which year|in what year|what date|since when)\b|什么时候|哪一?年|何时|几月|"
            r"いつ|何年|\bwann\b|in welchem jahr|\bquand\b|en quelle année|cuándo|en qué año",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|large|big|fast|slow|old|far|wide|high)\b|"
            r"\bwhat (?:is the )?(?:number|size|percentage|share|amount|count|length|limit|maximum|minimum)\b|"
            r"\bwhat (?:is |was |are |were )?(?:the |its |their )?(?:[\w\-]+ )?(?:score|rate|ratio|price|cost|size)\b|"
            r"多少|几个|几[种层位次]|多[大长久]|いくつ|何[人個件層回]|どのくらい|どれくらい|"
            r"wie (?:viele?|groß|lang|hoch|oft)|\bcombien\b|cuánt[oa]s?",
            re.I,
        ),
    ),
    ("reason", re.compile(r"\bwhy\b|为什么|为何|なぜ|どうして|\bwarum\b|\bwieso\b|\bweshalb\b|pourquoi|por qué", re.I)),
    (
        "person",
        re.compile(
            r"\bwho(?:m|se)?\b|which (?:person|people|researchers?|authors?|company|companies|organi[sz]ation|lab)\b|"
            r"谁|哪家公司|誰|だれ|どの会社|\bwer\b|welche[rs]? (?:firma|unternehmen)|\bqui\b|quelle entreprise|"
            r"quién(?:es)?|qué empresa",
            re.I,
        ),
    ),
    ("place", re.compile(r"\bwhere\b|which (?:country|city)\b|哪里|在哪|どこ|\bwo\b|\boù\b|dónde", re.I)),
    (
        "definition",
        re.compile(
            r"\bwhat (?:is|are|does) (?:an? |the )?[\w\-.'\"\u2018\u2019\u201c\u201d ]+? (?:stand for|mean)\b|"
            r"^\s*what (?:is|are) (?:an? )?\w[\w\-]*\s*\?|"
            r"^\s*define\b|代表什么|是什么意思|とは|steht .* für|que signifie|qué significa",
            re.I,
        ),
    ),
    ("list", re.compile(r"\b(?:list|name (?:the|all|three|two))\b|\bwhat are the\b|哪些|有哪|どんな", re.I)),
    (
        "yesno",
        re.compile(
            r"^\s*(?:is|are|was|were|does|do|did|can|could|will|would|should|has|have|had|must|may)\b|"
            r"吗\s*[?？]?\s*$|ですか|ますか|^\s*(?:ist|sind|kann|gibt|hat|muss)\b|^\s*(?:est-ce|peut-on)\b",
            re.I,
        ),
    ),
    # Any other question word: coming first, it makes a later "when" ("What does a model do when ...")
    # part of the question, not what is asked.
    (
        "other",
        re.compile(
            r"\b(?:what|which|how)\b|什么|怎么|如何|どう|何が|何を|\b(?:was|welche[rsnm]?|wie)\b|"
            r"\b(?:que|quel(?:le)?s?|comment)\b|\b(?:qué|cuál(?:es)?|cómo)(?!\w)",
            re.I,
        ),
    ),
)
# The words after which the attribute begins ("what learning rate", "how many parameters").
_ATTRIBUTE_AFTER = re.compile(
    r"\b(?:how (?:many|much)|what(?: is| are| was| were)?(?: the| a| an)?|which(?: is| are)?(?: the)?|"
    r"in (?:what|which))\s+(.+)",
    re.I,
)
# Words that end an attribute: the auxiliary verb or "of" after the noun phrase. A phrase without one
# ("which one comes from ...") has no attribute: without a parser the noun cannot be told from the verb.
_ATTRIBUTE_END = re.compile(r"\b(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|of|for)\b")
# Attribute words that say nothing about what is asked ("what kind of ...").
_VAGUE = frozenset(
    [
        "kind",
        "type",
        "sort",
        "way",
        "thing",
        "things",
        "part",
        "role",
        "one",
        "ones",
        "main",
        "new",
        "first",
        "value",
        "values",
        "number",
        "amount",
    ]
)

_DIGIT = re.compile(r"\d")
# A numeral of its own, not the digit of a name ("GPT-4", "O1").
_NUMERAL = re.compile(r"(?<![A-Za-z\-])\d")
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|trillion|dozen|half|double|twice|several)\b|[一二三四五六七八九十百千万亿两]",
    re.I,
)
_DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,4}|"
    r"\d{4}年|\d+月|\b(?:century|decade)\b",
    re.I,
)
_MONTH = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*", re.I)
# A capitalized word, or a word with a digit or inner capital ("OpenAI", "GPT-4"): a name.
_NAME = re.compile(r"\b[A-Z][\w\-]*[a-z][\w\-]*\b|\b[A-Z]{2,}\b|[\u4e00-\u9fff]{2,}|[\u30a0-\u30ff]{2,}")
_PART_SPLIT = re.compile(
    r"\?\s+(?=\S)|[?？]\s*(?=\S)|,\s*and\s+(?=(?:how|what|when|who|which|where|why|in what|in which|is|are|does|do)\b)|"
    r"\s+and\s+(?=(?:how many|how much|how long|what|when|who|which|where|why|in what|in which)\b)|"
    r"[，,]?\s*(?:以及|和|并且|而且)\s*(?=\S*(?:多少|什么|哪|谁|何时|几))|"
    r"\s+y\s+(?=cu[áa]nt|qu[ée]|qui[ée]n|cu[áa]ndo|d[óo]nde)|\s+und\s+(?=wie|was|wer|wann|wo)|"
    r"\s+et\s+(?=combien|qu|qui|quand|où)",
    re.I,
)


@dataclass(frozen=True)
class Asked:
    """One part of a question: its text, what kind of answer it wants, and the words naming what is asked."""

    text: str
    type: AskedType
    attribute: tuple[str, ...]
    # The words of the whole question: a "who" or "where" answer names something beyond them.
    words: frozenset[str]


def asked_type(question: str) -> AskedType:
    """The kind of answer a question wants, by its first question word ("What does X mean when ..." asks
    for a definition, not a date); at the same place, the more specific kind."""
    found = [
        (match.start(), rank, kind)
        for rank, (kind, pattern) in enumerate(_TYPES)
        if (match := pattern.search(question))
    ]
    return min(found)[2] if found else "other"


def attribute(question: str) -> tuple[str, ...]:
    """The content words of the noun phrase after "what/how many/which" (English; () when none is found).

    "What learning rate was used to train GPT-3?" -> ("learning", "rate").
    """
    match = _ATTRIBUTE_AFTER.search(question)
    if not match:
        return ()
    pieces = _ATTRIBUTE_END.split(match.group(1), maxsplit=1)
    words = [w for w in tokenize(pieces[0]) if w not in _VAGUE and not _DIGIT.search(w)]
    if len(pieces) < 2 or len(words) > MAX_ATTRIBUTE_WORDS:
        return ()
    return tuple(words)


def question_parts(question: str) -> list[Asked]:
    """The parts of a question, each classified: "When was Sora released, and how long can its videos
    be?" has two."""
    pieces = [p.strip(" ,;，；") for p in _PART_SPLIT.split(question.strip())]
    pieces = [p for p in pieces if tokenize(p) or asked_type(p) != "other"]
    if len(pieces) < 2:
        pieces = [question.strip()]
    # Every part is about what the whole question names: "who wrote it?" asks for a name new to all of it.
    named = frozenset(tokenize(question))
    parts = []
    for piece in pieces:
        kind = asked_type(piece)
        # Only a quantity's attribute is checked: "how many layers" is not answered by a count of parameters,
        # but "which technique ..." is answered by a named technique, and "what X" names the class of the
        # answer as often as its attribute (evals/history/2026-12-01-asked-rule-tuned.md: the check on
        # "what/which X" cost 4 of 105).
        words = attribute(piece) if kind == "number" else ()
        parts.append(Asked(piece, kind, words, named))
    return parts


def _states(kind: AskedType, text: str) -> bool:
    """Whether `text` states something of the asked kind: a number for "how many", a date for "when"."""
    if kind == "number":
        # A year is a date, not the count or size asked for ("how long can its videos be?").
        text = _DATE.sub(" ", text)
        return bool(_NUMERAL.search(text) or _NUMBER_WORD.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind in ("person", "place"):
        return bool(_NAME.search(text))
    return True


def _new_name(claim: str, part: Asked) -> bool:
    """The claim names someone or somewhere the question did not: the who/where asked for (a month or a
    model's name, "GPT-4", is not one)."""
    return any(
        set(tokenize(name)) - part.words
        for name in _NAME.findall(claim)
        if not _DIGIT.search(name) and not _MONTH.fullmatch(name)
    )


def answers(part: Asked, claim: str, span: str, heading: str = "") -> bool:
    """Whether `claim`, supported by `span`, answers `part`: both state its type (a person's or place's name
    new to the question, in the claim); the span or its heading (`heading`: the chunk's title and heading)
    names its attribute. The question's names are checked against the cited passages (`names_found`), not
    the span: a span often says "it" ("It has 175 billion parameters")."""
    if not (_states(part.type, claim) and _states(part.type, span)):
        return False
    if part.type in ("person", "place") and not _new_name(claim, part):
        return False
    if not part.attribute:
        return True
    held = set(tokenize(span)) | set(tokenize(heading))
    return sum(w not in held for w in part.attribute) <= len(part.attribute) * ATTRIBUTE_MISSING


def unanswered_sentence(part: Asked) -> str:
    """The code-written sentence for a part no supported sentence answers (never the model's words)."""
    return f'The documents don\'t answer this part of the question: "{part.text.rstrip("?？ ")}?"'


def question_names(question: str) -> set[str]:
    """The names a question writes in Latin letters: in English its capitalized words but the first, which
    the sentence capitalizes ("Who", "Besides"); in other languages the coined ones ("GPT-3", "RLHF"): German
    capitalizes every noun, and a Chinese question may repeat itself in English."""
    if not is_english(question):
        return coined_names(question)
    start = len(question) - len(question.lstrip())
    names = {
        match.group()
        for match in _NAME.finditer(question)
        if match.group().isascii() and not (match.start() == start and match.group()[1:].islower())
    }
    # An acronym's plural ("LLMs") is written singular as often (`missing_names` lets a word go on: "LLMs" too).
    return {name[:-1] if name.endswith("s") and name[:-1].isupper() else name for name in names}


def names_found(question: str, verified: Verified) -> bool:
    """At least half of the question's names are in the passages it cites: "Who won the 2022 FIFA World
    Cup?" is not answered from passages that never name FIFA or the World Cup."""
    names = question_names(question)
    text = " ".join(f"{c.title} {c.heading} {c.text}" for c in verified.citations)
    return len(missing_names(names, text)) * 2 <= len(names)


def answer_what_was_asked(question: str, verified: Verified) -> Verified:
    """The verified answer held to the question's parts: refused when no supported sentence answers any part
    (a near miss), and, when some part is answered and another is not, the answer with one code-written
    sentence per unanswered part (a partial answer)."""
    if verified.refused:
        return verified
    if not names_found(question, verified):
        return Verified(NOT_ANSWERED, True, verified.claims, ())
    parts = question_parts(question)
    cited = {c.n: c for c in verified.citations}
    supported = [
        (claim.text, cited[claim.citation]) for claim in verified.claims if claim.supported and claim.citation in cited
    ]
    answered = [
        any(answers(part, text, c.text[c.span[0] : c.span[1]], f"{c.title} {c.heading}") for text, c in supported)
        for part in parts
    ]
    if not any(answered):
        return Verified(NOT_ANSWERED, True, verified.claims, ())
    missing = [unanswered_sentence(part) for part, ok in zip(parts, answered, strict=True) if not ok]
    return Verified(" ".join([verified.answer, *missing]), False, verified.claims, verified.citations)
