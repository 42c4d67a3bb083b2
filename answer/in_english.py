"""A question asked in another language, searched for in English.

The index's embedding model (MiniLM) and the keyword index read English: on the dev report half, all 7
non-English questions lost were lost at retrieval. The answer model translates the question first (two
example turns keep the small model from answering it instead); a reply that is not one question falls back
to the question as asked, which is never worse than no translation.
"""

import re

from citewise.answer.crosslingual import is_english, latin_words
from citewise.answer.followup import answered_instead
from citewise.answer.llm.base import Generator, Message

TRANSLATE_TOKENS = 60
TRANSLATE_RULES = (
    "You translate the user's question into English. You never answer it. "
    "Keep names, numbers and technical terms as they are. Reply with the English question only."
)
# Two turns in other languages than most users', about no corpus: without them the model answered
# 7 of 39 dev questions instead of translating them ("GPT-3 has 17 parameters.").
_EXAMPLES = (
    ("这份报告有多少页?", "How many pages does the report have?"),
    ("Wer hat das Buch geschrieben?", "Who wrote the book?"),
)
# `is_english` reads a sentence; a short question ("Welches Unternehmen steht hinter Llama 3?") may have none of
# its function words, so an English question must also have one of these, and no Spanish marks or accents.
_ENGLISH_QUESTION_WORDS = frozenset(
    re.findall(
        r"\w+",
        "what which who whom whose when where why how does do did is are was were has have had can could should "
        "would will name list give the an of in to for",
    )
)
_NOT_ENGLISH_LETTERS = re.compile(r"[¿¡áàâäçéèêíîóôöúùûüñß]")


def asked_in_english(question: str) -> bool:
    """Whether a question reads as English: `is_english`, one English question word, no accented letters."""
    lowered = question.lower()
    return (
        is_english(question)
        and any(word in _ENGLISH_QUESTION_WORDS for word in latin_words(question))
        and not _NOT_ENGLISH_LETTERS.search(lowered)
    )


def translate_messages(question: str) -> list[Message]:
    """The translation prompt: the rules, the example turns, then the question."""
    messages = [Message("system", TRANSLATE_RULES)]
    for asked, translated in _EXAMPLES:
        messages += [Message("user", asked), Message("assistant", translated)]
    return [*messages, Message("user", question)]


def in_english(question: str, generator: Generator) -> str:
    """`question` in English: unchanged when it reads as English already, or when the model's reply is not
    one English question (it answered, or wrote more than a line)."""
    if asked_in_english(question):
        return question
    reply = "".join(generator.stream(translate_messages(question), TRANSLATE_TOKENS)).strip()
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    if len(lines) != 1 or not is_english(lines[0]) or answered_instead(question, lines[0]):
        return question
    return lines[0]
