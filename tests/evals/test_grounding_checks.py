"""The keep/reject rules for generated eval items."""

import pytest

from citewise.evals.generate import entity_candidates
from citewise.evals.grounding_checks import (
    Rejected,
    check_answerable,
    check_near_miss,
    check_off_topic,
    find_verbatim,
    parse_reply,
)

PASSAGE = (
    "The Aurora kettle was designed in 2019. Descale the kettle every month with citric acid\n"
    "so the element stays clean. Its lid is made of brushed steel."
)
EVIDENCE = "Descale the kettle every month with citric acid so the element stays clean."


def test_a_grounded_item_is_kept_as_the_passage_writes_it() -> None:
    answer, evidence = check_answerable(PASSAGE, "What should the kettle be descaled with?", "Citric  acid", EVIDENCE)
    assert answer == "citric acid"  # the passage's own spelling, whitespace runs made one space
    assert evidence == EVIDENCE


def test_an_answer_not_verbatim_in_the_passage_is_rejected() -> None:
    with pytest.raises(Rejected, match="answer not verbatim"):
        check_answerable(PASSAGE, "What should the kettle be descaled with?", "vinegar", EVIDENCE)


def test_a_paraphrased_evidence_sentence_is_rejected() -> None:
    with pytest.raises(Rejected, match="evidence not verbatim"):
        check_answerable(PASSAGE, "What descales the kettle?", "citric acid", "Use citric acid monthly.")


def test_evidence_that_does_not_hold_the_answer_is_rejected() -> None:
    with pytest.raises(Rejected, match="answer not in the evidence"):
        check_answerable(
            PASSAGE, "What is the lid made of?", "brushed steel", "The Aurora kettle was designed in 2019."
        )


def test_a_question_that_contains_its_answer_is_rejected() -> None:
    with pytest.raises(Rejected, match="question contains the answer"):
        check_answerable(PASSAGE, "Is the kettle descaled with Citric Acid?", "citric acid", EVIDENCE)


def test_a_long_answer_is_rejected() -> None:
    with pytest.raises(Rejected, match="answer too long"):
        check_answerable(PASSAGE, "How to descale?", EVIDENCE, EVIDENCE)


def test_a_near_miss_whose_answer_type_a_passage_naming_the_entity_states_is_rejected() -> None:
    other = "Nothing here about kettles."
    with pytest.raises(Rejected, match="states a date"):
        check_near_miss([other, PASSAGE], "When was the Aurora kettle first sold?", "Aurora", "date")
    assert check_near_miss([other, PASSAGE], "Who designed the Aurora kettle?", "Aurora", "person") == 1


def test_a_near_miss_counts_every_passage_naming_the_entity() -> None:
    later = "The Aurora kettle was sold in 2021."
    assert check_near_miss([PASSAGE], "How much did the Aurora kettle cost in 2019?", "Aurora", "place") == 1
    with pytest.raises(Rejected, match="states a date"):
        check_near_miss(["The Aurora kettle is red.", later], "When did Aurora launch?", "Aurora", "date")


def test_the_entity_own_digits_do_not_count_as_a_number() -> None:
    assert check_near_miss(["GPT-4 is a model by a lab."], "How many layers has GPT-4?", "GPT-4", "number") == 1


def test_a_near_miss_must_name_an_entity_the_documents_mention() -> None:
    with pytest.raises(Rejected, match="does not name the entity"):
        check_near_miss([PASSAGE], "Who designed it?", "Aurora", "person")
    with pytest.raises(Rejected, match="entity not in the documents"):
        check_near_miss([PASSAGE], "Who designed the Zephyr?", "Zephyr", "person")


def test_an_off_topic_question_whose_topic_the_documents_mention_is_rejected() -> None:
    check_off_topic([PASSAGE], "How long should sourdough proof?", "sourdough")
    with pytest.raises(Rejected, match="keyword found"):
        check_off_topic([PASSAGE], "What metal are kettle lids made of?", "steel")


def test_replies_are_read_around_chatter_and_code_fences() -> None:
    reply = 'Sure!\n```json\n{"question": " What\\n is it? ", "answer": "x"}\n```'
    assert parse_reply(reply, ("question", "answer")) == {"question": "What is it?", "answer": "x"}
    with pytest.raises(Rejected, match="not JSON"):
        parse_reply("I cannot do that.", ("question",))
    with pytest.raises(Rejected, match="missing answer"):
        parse_reply('{"question": "Q?", "answer": ""}', ("question", "answer"))


def test_verbatim_search_ignores_case_and_line_breaks_only() -> None:
    assert find_verbatim(PASSAGE, "with CITRIC acid so") == "with citric acid so"
    assert find_verbatim(PASSAGE, "with citric-acid") is None


def test_entities_are_names_used_mid_sentence() -> None:
    found = entity_candidates("The model GPT-4 came from OpenAI. Large models are big. Ask Aurora Labs.")
    assert "GPT-4" in found and "OpenAI" in found and "Aurora Labs" in found
    assert "Large" not in found and "The" not in found
