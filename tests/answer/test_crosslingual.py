"""A sentence in another language than its English passage, verified with the real embedding models."""

import pytest

from citewise.answer.citations import verify
from citewise.answer.crosslingual import CrossLingualSupport, anchors, is_english
from citewise.retrieval.embeddings import MULTILINGUAL_USE, CitewiseEmbeddingFunction
from tests.answer.passages import passages_of

THRESHOLD = 0.45  # the English rule's support threshold (core/settings.py)
GPT = "GPT-2 (2019): 1.5 billion parameters. GPT-3 (2020): 175 billion parameters."
RLHF = "3. RLHF (Reinforcement Learning from Human Feedback) - Human raters rank model outputs from best to worst."
CHATGPT = "Within less than two months of its launch, ChatGPT surpassed 100 million monthly active users."


@pytest.fixture(scope="module")
def multilingual():
    return CitewiseEmbeddingFunction(MULTILINGUAL_USE).matrix


def _verify(answer: str, embed, multilingual, *texts: str, question: str = ""):
    passages = passages_of(*texts)
    return verify(answer, passages, embed, THRESHOLD, question, CrossLingualSupport(passages, multilingual))


@pytest.mark.parametrize(
    ("sentence", "english"),
    [
        ("GPT-3 has 175 billion parameters.", True),
        ("GPT-3 (2020): 175B", True),
        ("GPT-3 有1750亿个参数。", False),
        ("GPT-3 のパラメータ数は1750億です。", False),
        ("GPT-3 hat 175 Milliarden Parameter und ist ein großes Modell.", False),
        ("GPT-3 a 175 milliards de paramètres dans le modèle.", False),
        ("GPT-3 tiene 175 mil millones de parámetros en el modelo.", False),
    ],
)
def test_language_of_a_sentence(sentence: str, english: bool) -> None:
    assert is_english(sentence) is english


def test_anchors_are_the_names_a_translation_keeps() -> None:
    assert anchors("GPT-3 有1750亿个参数,由 OpenAI 训练。") == {"GPT-3", "OpenAI"}
    assert anchors("The Transformer 架构是在 2017 年提出的。") == {"Transformer"}
    assert anchors("Das Policy-Modell wird bei RLHF mit PPO optimiert, sagt ChatGPT.") == {"RLHF", "PPO", "ChatGPT"}


def test_chinese_sentence_supported_by_an_english_passage_passes(embed, multilingual) -> None:
    result = _verify("GPT-3 有1750亿个参数。", embed, multilingual, RLHF, GPT, question="GPT-3 有多少参数?")
    assert not result.refused
    [citation] = result.citations
    assert citation.chunk_id == "c2"
    start, end = citation.span
    assert "175 billion" in citation.text[start:end]


def test_japanese_and_german_sentences_pass(embed, multilingual) -> None:
    ja_sentence = "RLHF では人間の評価者がモデルの出力を最良から最悪まで順位付けします。"
    ja = _verify(ja_sentence, embed, multilingual, GPT, RLHF)
    de = _verify("ChatGPT hatte nach weniger als zwei Monaten über 100 Millionen Nutzer.", embed, multilingual, CHATGPT)
    assert not ja.refused and ja.citations[0].chunk_id == "c2"
    assert not de.refused


def test_the_english_rule_alone_cannot_support_them(embed) -> None:
    assert verify("GPT-3 有1750亿个参数。", passages_of(RLHF, GPT), embed, THRESHOLD).refused


def test_a_chinese_sentence_with_the_wrong_quantity_is_dropped(embed, multilingual) -> None:
    result = _verify("GPT-3 有175亿个参数。", embed, multilingual, RLHF, GPT)
    assert result.refused
    [claim] = result.claims
    assert not claim.supported


def test_a_chinese_sentence_with_a_wrong_name_is_dropped(embed, multilingual) -> None:
    assert _verify("GPT-4 有1750亿个参数。", embed, multilingual, RLHF, GPT).refused
    assert _verify("Claude 有1750亿个参数。", embed, multilingual, RLHF, GPT).refused


def test_a_sentence_on_another_subject_is_dropped(embed, multilingual) -> None:
    assert _verify("东京是日本的首都。", embed, multilingual, RLHF, GPT).refused


def test_an_english_sentence_keeps_the_english_rule(embed, multilingual) -> None:
    sentence = "GPT-3 has 175 billion parameters."
    with_rule = _verify(sentence, embed, multilingual, RLHF, GPT)
    without = verify(sentence, passages_of(RLHF, GPT), embed, THRESHOLD)
    assert with_rule.claims == without.claims and not with_rule.refused
