"""A question in another language is searched for in English (answer/in_english.py): Ollama's wire format at
the HTTP boundary, and the real embedded model (slow)."""

import pytest

from citewise.answer.in_english import TRANSLATE_RULES, asked_in_english, in_english
from citewise.answer.llm.embedded import load_embedded
from citewise.answer.llm.ollama import OllamaGenerator


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("How many parameters did GPT-1 have?", True),
        ("Has GPT-4's parameter count been officially disclosed?", True),
        ("Name some large language models built for finance.", True),
        ("Is the LIKE operator case-insensitive for non-ASCII characters like æ and Æ?", True),
        ("Welches Unternehmen steht hinter Llama 3?", False),  # none of is_english's function words
        ("¿Cuántos parámetros tenía GPT-1?", False),
        ("Quand OpenAI a-t-il lancé ChatGPT ?", False),
        ("GPT-3 有多少参数？", False),
    ],
)
def test_a_question_reads_as_english_by_its_words_marks_and_letters(question: str, english: bool) -> None:
    assert asked_in_english(question) is english


def _ollama(fake_ollama) -> OllamaGenerator:
    return OllamaGenerator(fake_ollama.url, "qwen2.5:1.5b-instruct", 2048)


def test_an_english_question_is_searched_as_asked_without_the_model(fake_ollama) -> None:
    assert in_english("How many parameters did GPT-1 have?", _ollama(fake_ollama)) == (
        "How many parameters did GPT-1 have?"
    )
    assert fake_ollama.bodies("/api/chat") == []


def test_another_language_is_translated_after_the_example_turns(fake_ollama) -> None:
    fake_ollama.set_reply("How many parameters does GPT-3 have?")
    assert in_english("GPT-3 有多少参数？", _ollama(fake_ollama)) == "How many parameters does GPT-3 have?"
    [body] = fake_ollama.bodies("/api/chat")
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == TRANSLATE_RULES and body["messages"][-1]["content"] == "GPT-3 有多少参数？"


@pytest.mark.parametrize(
    "reply",
    [
        "GPT-3 has 175 billion parameters.",  # answered, not translated
        "How many parameters does GPT-3 have?\nIt has 175 billion.",  # more than one line
        "GPT-3 有多少参数？",  # not English
        "",
    ],
)
def test_a_reply_that_is_not_one_english_question_leaves_the_question_as_asked(fake_ollama, reply: str) -> None:
    fake_ollama.set_reply(reply)
    assert in_english("GPT-3 有多少参数？", _ollama(fake_ollama)) == "GPT-3 有多少参数？"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, make_settings):
    return load_embedded(make_settings(tmp_path_factory.mktemp("english")))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("GPT-3 有多少参数?", ("GPT-3", "parameters")),
        ("Warum quantisiert man ein Modell?", ("quantiz",)),
        ("¿Qué empresa creó Gemini 2.5?", ("Gemini 2.5",)),  # "Who created Gemini 2.5?" is a translation too
    ],
)
def test_the_embedded_model_translates_the_question_and_does_not_answer_it(
    embedded, question: str, words: tuple[str, ...]
) -> None:
    english = in_english(question, embedded)
    assert english != question and english.endswith("?") and asked_in_english(english)
    assert all(word.lower() in english.lower() for word in words), english
