"""Turn a follow-up question ("and GPT-2?") into a standalone one before retrieval.

Retrieval sees one question at a time, so a follow-up must carry its own subject. The model
rewrites it from the last turns; anything that does not look like one short question falls
back to the question as asked, which is never worse than no rewrite.
"""

import re

from citewise.answer.citations import strip_markers
from citewise.answer.llm.base import Generator, Message
from citewise.retrieval.tokenize import tokenize

REWRITE_TOKENS = 48
MAX_TURNS = 3  # older turns rarely hold the referent and only slow the prompt down
MAX_ANSWER_CHARS = 300
MAX_QUESTION_CHARS = 300

REWRITE_RULES = """You rewrite the user's last question so it can be understood without the conversation.
Replace words like "it", "they", "that" or a missing subject with what they refer to in the conversation.
Keep the user's own words: do not expand abbreviations or add facts.
If the question is already complete, repeat it unchanged.
Reply with the rewritten question only: one line, no answer, no explanation."""

_LABEL = re.compile(r"^(?:standalone|rewritten)?\s*question\s*:\s*", re.I)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"
_QUESTION_MARKS = ("?", "\uff1f")  # ASCII and full-width (Chinese)
# What marks a question that leans on the conversation: a referring word, an elliptic opening
# ("and GPT-2?", "what about…"), or too few content words to carry its own subject.
_REFERRING = re.compile(
    r"\b(?:it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|one|ones|there|then|"
    r"same|former|latter|above|previous)\b|^(?:and|or|but|also|so|what about|how about|why|how come)\b|"
    r"[它他她其此这那该]",
    re.I,
)
SHORT_WORDS = 2


def _clip(text: str, limit: int) -> str:
    text = " ".join(strip_markers(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rewrite_messages(question: str, history: list[tuple[str, str]]) -> list[Message]:
    """The rewrite prompt: the last turns (answers clipped, markers removed), then the follow-up."""
    lines = []
    for asked, answered in history[-MAX_TURNS:]:
        lines.append(f"User: {_clip(asked, MAX_QUESTION_CHARS)}")
        lines.append(f"Assistant: {_clip(answered, MAX_ANSWER_CHARS)}")
    conversation = "\n".join(lines)
    user = f"Conversation:\n{conversation}\n\nLast question: {question}\nStandalone question:"
    return [Message("system", REWRITE_RULES), Message("user", user)]


def _clean(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return _LABEL.sub("", lines[0]).strip().strip(_QUOTES).strip()


def answered_instead(question: str, reply: str) -> bool:
    """Whether a model asked to rewrite or translate `question` answered it instead: its reply lost the mark."""
    return question.rstrip().endswith(_QUESTION_MARKS) and not reply.endswith(_QUESTION_MARKS)


def needs_context(question: str) -> bool:
    """Whether `question` may refer to earlier turns; a complete question skips the model's rewrite,
    which costs seconds on a CPU."""
    return bool(_REFERRING.search(question)) or len(tokenize(question)) <= SHORT_WORDS


def standalone_question(question: str, history: list[tuple[str, str]], generator: Generator) -> str:
    """`question` rewritten to stand alone given `history` ((question, answer) pairs, oldest first);
    unchanged without history, when it is complete already, or when the model's rewrite is unusable."""
    question = question.strip()
    if not history or not question or not needs_context(question):
        return question
    rewritten = _clean("".join(generator.stream(rewrite_messages(question, history), REWRITE_TOKENS)))
    # A small model sometimes answers instead of rewriting: a question that lost its question
    # mark, or grew far past the original, is not a rewrite.
    too_long = len(rewritten) > max(MAX_QUESTION_CHARS // 2, 3 * len(question))
    if not rewritten or too_long or answered_instead(question, rewritten):
        return question
    return rewritten
