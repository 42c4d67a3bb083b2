"""Numbers read as quantities with their scale words, and compared by value."""

import pytest

from citewise.answer.quantities import Quantity, all_supported, matches, quantities, supplied


def _value(text: str) -> tuple[float, ...]:
    [quantity] = quantities(text)
    return quantity.values


def _same(a: str, b: str) -> bool:
    [qa], [qb] = quantities(a), quantities(b)
    return matches(qa, qb) and matches(qb, qa)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("175 billion", 175e9),
        ("1750亿", 175e9),
        ("1750 亿", 175e9),
        ("175亿", 17.5e9),
        ("175,000 million", 175e9),
        ("1.5B", 1.5e9),
        ("1.5 billion", 1.5e9),
        ("117M", 117e6),
        ("10K", 10e3),
        ("128k", 128e3),
        ("3 trillion", 3e12),
        ("2T", 2e12),
        ("10 thousand", 10e3),
        ("25万", 250e3),
        ("1.17亿", 117e6),
        ("11700万", 117e6),
        ("2.5万亿", 2.5e12),
        ("5千", 5e3),
        ("3百万", 3e6),
        ("5千万", 50e6),
        ("10亿", 1e9),
        ("1億ドル", 1e8),
        ("1750億", 175e9),
        ("一亿美元", 1e8),
        ("两千万", 20e6),
        ("二十五万", 250e3),
        ("1亿7500万", 175e6),
        ("1,5 Milliarden", 1.5e9),
        ("175 Milliarden", 175e9),
        ("1,5 Mrd.", 1.5e9),
        ("117 Millionen", 117e6),
        ("117 Mio.", 117e6),
        ("3 Billionen", 3e12),
        ("1,5 milliard", 1.5e9),
        ("175 milliards", 175e9),
        ("117 millions", 117e6),
        ("117 millones", 117e6),
        ("1,5 mil millones", 1.5e9),
        ("2 billones", 2e12),
        ("45TB", 45e12),
        ("40 GB", 40e9),
        ("40 Go", 40e9),
        ("1,750,000", 1.75e6),
        ("1.750.000", 1.75e6),
        ("1,3", 1.3),
        ("50%", 50.0),
        ("50 Prozent", 50.0),
        ("50 pour cent", 50.0),
        ("百分之五十", 50.0),
        ("2017", 2017.0),
        ("3.5", 3.5),
    ],
)
def test_conversion(text: str, value: float) -> None:
    assert _value(text) == pytest.approx((value,), rel=1e-9)


def test_ambiguous_writing_keeps_both_readings() -> None:
    assert _value("1.500") == (1.5, 1500.0)  # English 1.5, German 1500
    assert _value("3兆") == (3e12, 3e6)  # Japanese 10^12, Chinese 10^6


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1750亿", "175 billion"),
        ("175,000 million", "175 billion"),
        ("1.5B", "1.5 billion"),
        ("15亿", "1.5 billion"),
        ("1,5 Milliarden", "1.5 billion"),
        ("117M", "117 million"),
        ("1.17亿", "117 million"),
        ("128K", "128,000"),
        ("25万", "250,000"),
        ("1亿美元", "$100 million"),
        ("45 TB", "45TB"),
    ],
)
def test_the_same_quantity_written_two_ways(a: str, b: str) -> None:
    assert _same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("175亿", "175 billion"), ("175 million", "175 billion"), ("1.5B", "1.5 million"), ("40 GB", "40 TB")],
)
def test_a_different_scale_is_a_different_quantity(a: str, b: str) -> None:
    assert not _same(a, b)


PASSAGE = "GPT-3 (2020): 175 billion parameters. Llama 3 comes in sizes from 8 billion to 405 billion parameters."


def _supported(claim: str, passage: str = PASSAGE) -> bool:
    return all_supported(quantities(claim), supplied(passage))


def test_the_seventeen_and_a_half_billion_claim_is_rejected() -> None:
    assert not _supported("GPT-3 有175亿个参数。")
    assert _supported("GPT-3 有1750亿个参数。")
    assert _supported("GPT-3 hat 175 Milliarden Parameter.")


@pytest.mark.parametrize(
    "claim",
    [
        "GPT-3 was released in 2020.",  # a year and a version, plain numbers
        "GPT-3 has 175 billion parameters.",
        "Llama 3 ranges from 8 to 405 billion parameters.",  # a range shares its scale word
        "The sizes are 8B and 405B.",
        "GPT-3 had 175B parameters.",
    ],
)
def test_claims_the_passage_states_still_pass(claim: str) -> None:
    assert _supported(claim)


def test_versions_and_plain_numbers() -> None:
    assert _supported("GPT-3.5 came after GPT-3.", "GPT-3.5 improved on GPT-3.")
    assert not _supported("GPT-4 came after GPT-3.", "GPT-3.5 improved on GPT-3.")
    assert _supported("Version 3.5.1 fixed it.", "Release 3.5.1 fixed the bug.")
    assert not _supported("Version 3.5.2 fixed it.", "Release 3.5.1 fixed the bug.")
    assert _supported("1.3 tokens per word.", "A word averages about 1.3 tokens.")
    assert not _supported("1.4 tokens per word.", "A word averages about 1.3 tokens.")


def test_a_month_name_supports_a_month_number() -> None:
    assert _supported("Mamba 于2023年12月提出。", "the model Mamba proposed in December 2023")
    assert not _supported("Mamba 于2023年11月提出。", "the model Mamba proposed in December 2023")
    # A month name is no plain number: "Llama 3" is not supported by "March 2022".
    assert not _supported("Llama 3 was released in 2022.", "GPT-3.5: Released in March 2022.")


def test_a_scaled_claim_never_matches_the_bare_number_before_a_scale_word() -> None:
    claimed = Quantity("175亿", (17.5e9,), scaled=True, mantissas=(175.0,))
    assert not all_supported([claimed], supplied("175 billion"))
    assert all_supported(quantities("175"), supplied("175 billion"))  # bare: as the digits rule did
