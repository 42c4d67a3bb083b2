"""What the local model is asked when it writes eval items; every reply is one JSON object."""

from citewise.answer.llm.base import Message
from citewise.answer.prompt import defused

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
}
TYPE_WORDS = {
    "number": "a number (a count, size or amount)",
    "date": "a date or year",
    "person": "a person's name",
    "place": "a place (a city or country)",
}

SYSTEM = (
    "You write test questions for a question-answering system over a user's documents. "
    "Reply with one JSON object and nothing else."
)


def _passage_block(passage: str) -> str:
    """The passage between the answer prompt's delimiters, its own copies of them defused: a passage holding
    `>>>` (or anything else) cannot end the block and speak as the prompt."""
    return f"Passage:\n<<<\n{defused(passage)}\n>>>"


def answerable_prompt(passage: str, language: str) -> list[Message]:
    user = (
        f"{_passage_block(passage)}\n\n"
        "Write one question that this passage answers, and its short answer.\n"
        "- answer: 1 to 6 words copied exactly from the passage (a name, number, date or term).\n"
        "- evidence: the one sentence of the passage that contains the answer, copied exactly.\n"
        f"- question: in {LANGUAGE_NAMES[language]}; it names its subject so it makes sense without the passage, "
        "and it does not contain the answer.\n"
        'Reply as JSON: {"question": "...", "answer": "...", "evidence": "..."}'
    )
    return [Message("system", SYSTEM), Message("user", user)]


def near_miss_prompt(passage: str, entity: str, answer_type: str, language: str) -> list[Message]:
    user = (
        f"{_passage_block(passage)}\n\n"
        f'Write one question about "{entity}" whose answer would be {TYPE_WORDS[answer_type]}, '
        "a fact this passage does not give. Keep the name "
        f'"{entity}" exactly as written. Write the question in {LANGUAGE_NAMES[language]}.\n'
        'Reply as JSON: {"question": "..."}'
    )
    return [Message("system", SYSTEM), Message("user", user)]


def off_topic_prompt(topic: str, language: str) -> list[Message]:
    user = (
        f"Write one short factual question about {topic}, in {LANGUAGE_NAMES[language]}.\n"
        'Reply as JSON: {"question": "..."}'
    )
    return [Message("system", SYSTEM), Message("user", user)]
