"""Follow-up rewriting (answer/followup.py) with a scripted generator; the UI's tests cover it end to end."""

from collections.abc import Iterator

import pytest

from citewise.answer.followup import REWRITE_TOKENS, needs_context, standalone_question
from citewise.answer.llm.base import Message

HISTORY = [("How many parameters did GPT-1 have?", "GPT-1 had 117 million parameters. [1]")]


class Scripted:
    """A Generator that replies with fixed text and records what it was asked."""

    backend = "scripted"
    judges_while_drafting = False
    model = "scripted"
    context_tokens = 2048

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[tuple[list[Message], int]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        self.calls.append((messages, max_tokens))
        yield from self.reply.split(" ")[:1]
        for word in self.reply.split(" ")[1:]:
            yield " " + word


def test_follow_up_is_rewritten_from_the_conversation() -> None:
    model = Scripted("How many parameters did GPT-2 have?")
    assert standalone_question("and GPT-2?", HISTORY, model) == "How many parameters did GPT-2 have?"
    [(messages, max_tokens)] = model.calls
    assert max_tokens == REWRITE_TOKENS
    prompt = messages[-1].content
    assert "User: How many parameters did GPT-1 have?" in prompt
    assert "Assistant: GPT-1 had 117 million parameters." in prompt and "[1]" not in prompt
    assert prompt.rstrip().endswith("Last question: and GPT-2?\nStandalone question:")


def test_without_history_the_model_is_not_asked() -> None:
    model = Scripted("anything?")
    assert standalone_question("and GPT-2?", [], model) == "and GPT-2?"
    assert model.calls == []


def test_a_complete_question_is_not_rewritten() -> None:
    model = Scripted("anything?")
    assert standalone_question("What does the abbreviation MOE stand for?", HISTORY, model) == (
        "What does the abbreviation MOE stand for?"
    )
    assert model.calls == []


@pytest.mark.parametrize(
    ("question", "needs"),
    [
        ("and GPT-2?", True),
        ("What about GPT-3?", True),
        ("When was it released?", True),
        ("Why?", True),
        ("它有多少参数？", True),
        ("How many parameters did GPT-1 have?", False),
        ("大模型的训练需要多少数据？", False),
    ],
)
def test_needs_context(question: str, needs: bool) -> None:
    assert needs_context(question) is needs


@pytest.mark.parametrize(
    "reply",
    [
        "",  # nothing
        "   \n  ",
        "GPT-2 had 1.5 billion parameters.",  # an answer, not a question
        "What " + "very " * 60 + "long question?",  # a runaway
    ],
)
def test_junk_rewrites_fall_back_to_the_question(reply: str) -> None:
    assert standalone_question("and GPT-2?", HISTORY, Scripted(reply)) == "and GPT-2?"


def test_labels_quotes_and_extra_lines_are_stripped() -> None:
    model = Scripted('Standalone question: "How many parameters did GPT-2 have?"\nExplanation: it refers to GPT.')
    assert standalone_question("and GPT-2?", HISTORY, model) == "How many parameters did GPT-2 have?"


def test_only_the_last_turns_are_sent() -> None:
    history = [(f"Question {i}?", f"Answer {i}.") for i in range(10)]
    model = Scripted("What about question 9?")
    standalone_question("and that?", history, model)
    prompt = model.calls[0][0][-1].content
    assert "Question 9?" in prompt and "Question 6?" not in prompt
