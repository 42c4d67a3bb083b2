"""The near-miss rule and partial answers (answer/asked.py), with the real embedding model where it verifies."""

import pytest

from citewise.answer.asked import (
    NOT_ANSWERED,
    answer_what_was_asked,
    answers,
    asked_type,
    attribute,
    question_names,
    question_parts,
    unanswered_sentence,
)
from citewise.answer.citations import verify
from tests.answer.passages import passages_of

THRESHOLD = 0.55
GPT3 = "GPT-3 was released by OpenAI in 2020. It has 175 billion parameters and was trained on 45TB of text."
TRANSFORMER = "The Transformer was introduced in 2017 in the paper Attention Is All You Need."
SORA = "OpenAI released Sora in February 2024. Sora turns a text prompt into a video."


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many parameters does GPT-3 have?", "number"),
        ("How much did it cost to train GPT-3?", "number"),
        ("When was Sora released?", "date"),
        ("In what year was the Transformer paper published?", "date"),
        ("Who founded Harvey AI?", "person"),
        ("Which company developed SegGPT?", "person"),
        ("Where is Mistral AI based?", "place"),
        ("What does LoRA stand for?", "definition"),
        ("What does 'emergence' mean when talking about large models?", "definition"),  # not "when": a date
        ("Are all open-weight models truly open source?", "yesno"),
        ("Why do LLMs split text into sub-word tokens?", "reason"),
        ("What are the main costs of training a large model?", "list"),
        ("How can hallucinations be reduced?", "other"),
        ("What is the first thing a model does with a prompt when generating text?", "other"),  # not a date
        ("训练 GPT-2 花了多少钱?", "number"),
        ("GPT-4 是什么时候发布的?", "date"),
        ("谁发明了 Transformer?", "person"),
        ("GPT-4 はいつ発表されましたか?", "date"),
        ("Wie viele Parameter hat GPT-3?", "number"),
        ("Warum brauchen Modelle RLHF?", "reason"),
        ("Qui a fondé Mistral AI ?", "person"),
        ("Combien de paramètres a GPT-3 ?", "number"),
        ("¿Cuántas capas tiene GPT-4?", "number"),
        ("¿Qué empresa creó Gemini 2.5?", "person"),
    ],
)
def test_the_asked_type_follows_the_first_question_word(question: str, kind: str) -> None:
    assert asked_type(question) == kind


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("What learning rate was used to train GPT-3?", ("learning", "rate")),
        ("How many attention heads does GPT-4 use?", ("attention", "head")),
        ("What is the context window size of Claude 4?", ("context", "window", "size")),
        ("How many tokens of context does Gemini 2.5 support?", ("token",)),
        # No auxiliary after the phrase: the noun cannot be told from the verb, so no attribute is required.
        ("Which one comes from Anthropic?", ()),
        ("How much did it cost to train GPT-3?", ()),
    ],
)
def test_the_attribute_is_the_noun_phrase_after_the_question_word(question: str, words: tuple[str, ...]) -> None:
    assert attribute(question) == words


@pytest.mark.parametrize(
    ("question", "claim", "span", "answered"),
    [
        # asked: learning rate; the span states the parameter count
        ("What learning rate was used to train GPT-3?", "GPT-3 has 175 billion parameters.", GPT3, False),
        ("How many parameters does GPT-3 have?", "GPT-3 has 175 billion parameters.", GPT3, True),
        # a number question answered without a number
        ("How many parameters does GPT-3 have?", "GPT-3 is a large model.", "GPT-3 is a large model.", False),
        (
            "How many attention heads does GPT-4 use?",
            "GPT-4 has 1.8 trillion parameters.",
            "GPT-4: 1.8 trillion",
            False,
        ),
        ("When was Sora released?", "Sora was released in February 2024.", SORA, True),
        ("When was Sora released?", "Sora turns a text prompt into a video.", SORA.split(". ")[1], False),
        # "who" needs a name the question did not give
        ("Who wrote the Transformer paper?", "Vaswani and others wrote it.", "Ashish Vaswani et al., 2017", True),
        ("Who wrote the Transformer paper?", "The transformer paper was published in 2017.", TRANSFORMER, False),
        ("Who developed FinGPT?", "it is a financial model.", "it is a financial model.", False),
        ("Is GPT-3 open source?", "GPT-3 has 175 billion parameters.", GPT3, True),  # yes/no: no type to check
        (
            "What is the context window size of Claude 4?",
            "Claude 4 has a context window of 200K.",
            "Claude: context window 200K",
            True,
        ),
        # "which X" names the class of the answer, not a word its span must hold
        (
            "Which technique optimizes memory access to speed up inference?",
            "Flash Attention optimizes memory access.",
            "Flash Attention: optimizes memory access and reduces IO operations.",
            True,
        ),
        # "how often" is answered in words as often as in numbers
        ("How often should I descale the kettle?", "Descale it every month.", "Descale it every month.", True),
        # a Chinese answer repeats the question's Chinese words; its English span holds only the names
        ("GPT-3 有多少参数?", "GPT-3 有1750亿个参数。", "GPT-3 (2020): 175 billion parameters", True),
        # a score is a quantity: its attribute must be named
        (
            "What score did GPT-4 get on the MMLU benchmark?",
            "GPT-4 scored 90 on the bar exam.",
            "GPT-4: 90 on the bar exam",
            False,
        ),
        ("What score did GPT-4 get on the MMLU benchmark?", "GPT-4 scored 86 on MMLU.", "GPT-4: MMLU score 86", True),
    ],
)
def test_a_claim_answers_only_what_was_asked(question: str, claim: str, span: str, answered: bool) -> None:
    [part] = question_parts(question)
    assert answers(part, claim, span) is answered


def test_the_attribute_may_be_named_by_the_heading_of_the_span() -> None:
    [part] = question_parts("How many parameters did GPT-1 have?")
    assert not answers(part, "GPT-1: 117 million.", "GPT-1 (2018): 117 million")
    assert answers(part, "GPT-1: 117 million.", "GPT-1 (2018): 117 million", heading="Model parameters")


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("When was Sora released, and how long can the videos it generates be?", ["date", "number"]),
        ("In what year was the Transformer paper published, and who wrote it?", ["date", "person"]),
        ("What does LoRA stand for? Which rank is usually chosen?", ["definition", "other"]),
        ("How many parameters does GPT-3 have?", ["number"]),
        ("Transformer 是哪一年提出的，以及谁提出的?", ["date", "person"]),
        ("¿Cuántos usuarios tenía ChatGPT y cuántos tiene hoy?", ["number", "number"]),
    ],
)
def test_a_question_in_two_parts_is_split(question: str, kinds: list[str]) -> None:
    assert [part.type for part in question_parts(question)] == kinds


def test_a_supported_sentence_about_another_attribute_is_refused(embed) -> None:
    question = "What learning rate was used to train GPT-3?"
    verified = verify("GPT-3 has 175 billion parameters.", passages_of(GPT3), embed, THRESHOLD, question)
    assert not verified.refused  # the verifier alone lets the near miss through
    held = answer_what_was_asked(question, verified)
    assert held.refused and held.answer == NOT_ANSWERED and held.citations == ()


def test_an_answer_to_what_was_asked_is_kept_as_verified(embed) -> None:
    question = "How many parameters does GPT-3 have?"
    verified = verify("GPT-3 has 175 billion parameters.", passages_of(GPT3), embed, THRESHOLD, question)
    assert answer_what_was_asked(question, verified) == verified


def test_a_partial_answer_says_what_the_documents_say_and_which_part_they_do_not(embed) -> None:
    question = "In what year was the Transformer paper published, and who wrote it?"
    draft = "The Transformer paper was published in 2017. The documents don't say who wrote it."
    verified = verify(draft, passages_of(TRANSFORMER, SORA), embed, THRESHOLD, question)
    held = answer_what_was_asked(question, verified)
    [_, who] = question_parts(question)
    assert not held.refused
    assert held.answer == f"The Transformer paper was published in 2017. [1] {unanswered_sentence(who)}"
    assert held.answer.endswith('the question: "who wrote it?"')
    assert [c.chunk_id for c in held.citations] == ["c1"]


def test_every_part_answered_adds_nothing(embed) -> None:
    question = "When was Sora released, and who released it?"
    draft = "OpenAI released Sora in February 2024."
    verified = verify(draft, passages_of(SORA), embed, THRESHOLD, question)
    assert answer_what_was_asked(question, verified) == verified


def test_the_digit_of_a_name_is_not_a_number_and_a_model_is_not_a_person() -> None:
    [cost] = question_parts("How much did it cost to train GPT-3?")
    assert not answers(cost, "GPT-4 (2023) was a big step.", "GPT-4 (2023): parameter scale undisclosed")
    [ceo] = question_parts("Who is the CEO of OpenAI?")
    assert not answers(ceo, "OpenAI released O1 in September 2024.", "O1: OpenAI's O1, released in September 2024")


def test_a_two_word_attribute_needs_both_words() -> None:
    [part] = question_parts("What learning rate was used to train GPT-3?")
    span = "GPT-3 was tuned with reinforcement learning."
    assert not answers(part, "GPT-3 was tuned with reinforcement learning.", span)


def test_a_year_is_not_the_number_asked_for() -> None:
    [part] = question_parts("How long can the videos Sora generates be?")
    assert not answers(part, "Sora was released in February 2024.", SORA)
    assert answers(part, "Sora videos can be 60 seconds long.", "Sora makes videos up to 60 seconds long.")


def test_a_span_that_says_it_answers_for_the_name_before_it() -> None:
    """The question's names are checked against the cited passages (`names_found`), not the span: on the
    tune halves the span check refused two right answers and no wrong one (evals/history/2026-12-02-names-rule.md)."""
    [part] = question_parts("How many parameters does GPT-3 have?")
    assert answers(part, "GPT-3 has 175 billion parameters.", "It has 175 billion parameters.")


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who won the 2022 FIFA World Cup?", {"FIFA", "World", "Cup"}),  # not "Who": the sentence's capital
        ("Besides OpenAI, which labs build LLMs?", {"OpenAI", "LLM"}),  # an acronym's plural: either form
        ("GPT-1 的参数量是多少?", {"GPT-1"}),
        ("How many parameters did GPT-3 have? GPT-3 有多少参数?", {"GPT-3"}),  # not "How", "many", ...
        ("Mit welchem Algorithmus wird das Policy-Modell bei RLHF optimiert?", {"RLHF"}),  # not every noun
    ],
)
def test_the_names_of_a_question(question: str, names: set[str]) -> None:
    assert question_names(question) == names


def test_a_question_about_what_no_cited_passage_names_is_refused(embed) -> None:
    """The passage supports the sentence, and a date answers "when", but it is about ChatGPT, not FIFA."""
    chatgpt = "In November 2022, OpenAI released ChatGPT, a chatbot based on GPT-3.5."
    verified = verify("OpenAI released ChatGPT in November 2022.", passages_of(chatgpt), embed, THRESHOLD, "")
    assert not verified.refused
    assert answer_what_was_asked("When did Argentina win the 2022 FIFA World Cup?", verified).refused
    assert answer_what_was_asked("When did OpenAI release ChatGPT?", verified) == verified
    plural = "PLMs are pre-trained language models such as BERT."
    verified = verify("PLMs are pre-trained language models.", passages_of(plural), embed, THRESHOLD, "")
    assert answer_what_was_asked("What is a PLM?", verified) == verified
