"""Keyword tokens: English without stop words, model names kept whole, Chinese segmented into words."""

from citewise.retrieval.tokenize import tokenize


def test_english_is_lowercased_without_stop_words() -> None:
    assert tokenize("What is the Transformer and how does it work?") == ["transformer", "work"]


def test_model_names_and_numbers_stay_whole() -> None:
    assert tokenize("GPT-1 had 117M parameters; Qwen2.5 uses 1.5 billion.") == [
        "gpt-1",
        "117m",
        "parameter",
        "qwen2.5",
        "use",
        "1.5",
        "billion",
    ]


def test_plurals_match_their_singular() -> None:
    assert tokenize("models libraries classes") == tokenize("model library classes")
    assert tokenize("class bus analysis") == ["class", "bus", "analysis"]


def test_chinese_is_segmented_into_words_without_stop_words() -> None:
    assert tokenize("大型语言模型的参数有多少？") == ["大型", "语言", "模型", "参数"]


def test_mixed_chinese_and_english_keeps_both() -> None:
    assert tokenize("GPT-3使用了多少参数") == ["gpt-3", "使用", "参数"]


def test_nothing_searchable_gives_no_tokens() -> None:
    assert tokenize("what is it?! — …") == []
