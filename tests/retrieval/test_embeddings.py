"""The packaged embedding models: unit vectors, query encodings, Chinese questions over English text."""

import numpy as np
import pytest

from citewise.retrieval.embeddings import (
    ATTRIBUTION_MODEL,
    MULTILINGUAL_E5,
    MULTILINGUAL_USE,
    CitewiseEmbeddingFunction,
    EmbeddingModelError,
    Remembered,
)

PASSAGES = [
    "GPT-1 was released in 2018 with 117 million parameters.",
    "Tokenization splits text into subword units before the model reads it.",
    "Reinforcement learning from human feedback aligns a model with human preferences.",
]
CHINESE_QUESTION = "GPT-1 有多少个参数？"  # "How many parameters does GPT-1 have?"


@pytest.mark.parametrize("model", [MULTILINGUAL_USE, MULTILINGUAL_E5])
def test_a_multilingual_model_finds_the_english_passage_for_a_chinese_question(model: str) -> None:
    function = CitewiseEmbeddingFunction(model)
    passages = function.matrix(PASSAGES)
    query = np.asarray(function.embed_query([CHINESE_QUESTION])[0])

    assert passages.shape == (3, query.shape[0])
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert int(np.argmax(passages @ query)) == 0


def test_e5_encodes_queries_and_passages_differently() -> None:
    """e5 was trained with "query: " and "passage: " prefixes; a query must not be embedded as a passage."""
    function = CitewiseEmbeddingFunction(MULTILINGUAL_E5)
    text = "How many parameters does GPT-1 have?"

    as_query = np.asarray(function.embed_query([text])[0])
    as_passage = function.matrix([text])[0]

    assert not np.allclose(as_query, as_passage, atol=1e-3)


def test_an_unknown_model_names_the_ones_that_ship() -> None:
    with pytest.raises(EmbeddingModelError, match=f"{MULTILINGUAL_USE}.*{MULTILINGUAL_E5}"):
        CitewiseEmbeddingFunction("no-such-model").load()


def test_remembered_embeds_each_text_once_and_returns_the_models_rows() -> None:
    """One answer's selection and verifier share vectors: a text already embedded is not embedded again."""
    model = CitewiseEmbeddingFunction(ATTRIBUTION_MODEL)
    asked: list[list[str]] = []

    def counting(texts: list[str]) -> np.ndarray:
        asked.append(list(texts))
        return model.matrix(texts)

    remembered = Remembered(counting)
    first = remembered(PASSAGES[:2])
    again = remembered([PASSAGES[1], PASSAGES[2], PASSAGES[1]])

    assert asked == [PASSAGES[:2], [PASSAGES[2]]]
    assert np.allclose(first, model.matrix(PASSAGES[:2]), atol=1e-5)
    assert np.allclose(again, model.matrix([PASSAGES[1], PASSAGES[2], PASSAGES[1]]), atol=1e-5)
