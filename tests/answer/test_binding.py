"""The binding check: a claim's figures and names must be given, in the passage, for the subject it is about."""

import pytest

from citewise.answer.binding import subject_of, unbound_values

TABLE = "| Model | Parameters |\n| GPT-1 | 117 million |\n| GPT-2 | 1.5 billion |"
PROSE = "GPT-1 was released by OpenAI in 2018.\nIt had 117 million parameters.\n\nGPT-2 followed in 2019."
MAMBA = "Mamba was proposed in December 2023 by Albert Gu and Tri Dao. The Transformer came in 2017."


@pytest.mark.parametrize(
    ("question", "claim", "passage", "unbound"),
    [
        ("How many parameters did GPT-2 have?", "GPT-2 had 117 million parameters.", TABLE, ["117 million"]),
        ("How many parameters did GPT-2 have?", "GPT-2 had 1.5 billion parameters.", TABLE, []),
        # A line that names nothing takes the name of the line before it in the same paragraph.
        ("How many parameters did GPT-1 have?", "GPT-1 had 117 million parameters.", PROSE, []),
        ("When did GPT-2 appear?", "GPT-2 appeared in 2018.", PROSE, ["2018"]),
        # Every word is in the sentence; the date and the name belong to Mamba, not to the Transformer.
        ("Who proposed the Transformer?", "The Transformer was proposed in December 2023 by Mamba.", MAMBA, ["2023"]),
        ("When did the Transformer come?", "The Transformer came in 2017.", MAMBA, []),
        # The claim's subject when it repeats no name of the question: its first name.
        ("GPT-2 有多少个参数?", "GPT-1 had 1.5 billion parameters.", TABLE, ["1.5 billion"]),
        # A name's own number (Claude 4, GPT-2) is no figure of the claim.
        ("What is Claude 4 noted for?", "Claude 4 is noted for safety.", "| Claude 4 | Anthropic | safety |", []),
    ],
)
def test_a_value_given_for_a_neighbour_is_unbound(question: str, claim: str, passage: str, unbound: list[str]) -> None:
    found = unbound_values(claim, subject_of(question, claim), passage)
    assert set(unbound) <= {u.value for u in found}
    assert bool(found) == bool(unbound)


def test_the_unbound_value_names_whom_the_passage_gives_it_to() -> None:
    [found] = unbound_values("GPT-2 had 117 million parameters.", {"GPT-2"}, TABLE)
    assert found.bound_to == ("GPT-1",)


def test_a_heading_names_the_subject_of_lines_that_name_nothing() -> None:
    passage = "It had 117 million parameters."
    assert unbound_values("GPT-2 had 117 million parameters.", {"GPT-2"}, passage, heading="GPT-1") != []
    assert unbound_values("GPT-1 had 117 million parameters.", {"GPT-1"}, passage, heading="GPT-1") == []


def test_a_claim_about_nothing_named_has_no_binding_to_check() -> None:
    assert unbound_values("It had 117 million parameters.", set(), TABLE) == []
