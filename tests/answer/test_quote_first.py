"""Which questions get the best evidence sentence quoted before the answer (answer/quote_first.py)."""

import pytest

from citewise.answer.quote_first import quote_first
from citewise.core.types import EvidenceSet, Quote

QUOTE = Quote(1, 0, 40, "SQLite allows at most 10 attached files.")
EVIDENCE = EvidenceSet((), (), 0, QUOTE)


@pytest.mark.parametrize(
    "question",
    ["How many databases can be attached?", "When was STRICT added?", "Who created SQLite?", "Is WAL the default?"],
)
def test_a_specific_question_gets_the_quote(question: str) -> None:
    assert quote_first(question, EVIDENCE) == QUOTE


@pytest.mark.parametrize(
    "question", ["Why is WAL faster?", "What are the limits of SQLite?", "What is WAL?", "Where is the file kept?"]
)
def test_a_why_a_list_a_definition_or_a_place_waits_for_the_answer(question: str) -> None:
    assert quote_first(question, EVIDENCE) is None
