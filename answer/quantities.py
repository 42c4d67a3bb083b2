"""Numbers read as quantities, with their scale words, so that a claim's figures are compared by value.

"GPT-3 有175亿个参数" says 17.5 billion; a passage saying "175 billion" (= 1750亿) does not support it,
though the digits 175 are in both. Read here: digits with thousands separators or a decimal point or
comma; scale words and suffixes after them (thousand/million/billion/trillion, K/M/B/T, 万/亿/億/千/百万/兆,
Tausend/Mio./Millionen/Mrd./Milliarden/Billionen, mille/millions/milliards, mil/millones/mil millones/
billones); byte units (KB/MB/GB/TB, Go/To); percentages; Chinese numerals before 万/亿 (一亿, 两千万).
A 4-digit year, a version (3.5, GPT-4) and a bare number are plain values.

Where a writing is ambiguous its quantity keeps every reading: "1.500" is 1.5 in English and 1500 in
German; 兆 is 10^12 in Japanese and 10^6 in Chinese. Numbers written as words (two, 两) are not read.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Relative tolerance of "equal": 1.17亿 is 117000000.00000001 in floating point.
REL_TOL = 1e-6

_CJK_SCALE = {"十": (10.0,), "百": (100.0,), "千": (1e3,), "万": (1e4,), "萬": (1e4,), "亿": (1e8,), "億": (1e8,)}
_CJK_SCALE["兆"] = (1e12, 1e6)
# Longest first, so "mil millones" wins over "mil" and "Milliarden" over "Millionen"'s prefix.
_WORD_SCALES: list[tuple[str, tuple[float, ...]]] = [
    (r"mil\s+millones", (1e9,)),
    (r"trillions?|trillones?", (1e12,)),
    (r"billionen|billones?|billón", (1e12,)),
    (r"billions?|bn", (1e9,)),
    (r"milliarden?|milliards?|millardos?|mrd\.?|mds?\b", (1e9,)),
    (r"millions?|millionen|millones?|millón|mio\.?", (1e6,)),
    (r"thousands?|tausend|mille|mil", (1e3,)),
    (r"terabytes?", (1e12,)),
    (r"gigabytes?", (1e9,)),
    (r"megabytes?", (1e6,)),
]
_BYTES = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_PERCENT = r"%|％|percent|per\s+cent|prozent|pour\s*cent|por\s*ciento"

_DIGITS = r"\d+(?:[.,\u00a0\u202f]\d+)*"
_CJK_SCALE_RUN = r"(?:[十百千]?(?:万亿|万億|[万萬亿億兆])|[千百])"
_CJK_DIGITS = "零〇一二两兩三四五六七八九十百千"
_CJK_NUMERAL = rf"[一二两兩三四五六七八九十][{_CJK_DIGITS}]*(?:[万萬亿億][{_CJK_DIGITS}]*)+"
_WORDS = "|".join(pattern for pattern, _ in _WORD_SCALES)
_QUANTITY = re.compile(
    rf"百分之(?P<pct_cn>{_DIGITS}|[{_CJK_DIGITS}]+)"
    rf"|(?P<cn>{_CJK_NUMERAL})"
    rf"|(?P<num>{_DIGITS})"
    rf"(?:\s?(?P<cjk>{_CJK_SCALE_RUN})"
    rf"|\s?(?-i:(?P<bytes>[KkMGT])[Bo])\b"
    rf"|(?-i:(?P<suffix>[kKMBT]))(?![A-Za-z])"
    rf"|\s?(?P<pct>{_PERCENT})"
    rf"|\s(?P<word>{_WORDS})(?![a-zà-ÿ]))?",
    re.I,
)
# "8 to 405 billion": the first number shares the second's scale word.
_RANGE = re.compile(r"^\s*(?:to|and|or|bis|à|et|a|y|o|-|–|—|~|〜|～|至|到)\s*$", re.I)
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sept sep",
            "october oct",
            "november nov",
            "december dec",
        ],
        start=1,
    )
    for m in names.split()
}
_MONTH_NAME = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?\s+(?=\d{1,4}\b)", re.I)


@dataclass(frozen=True)
class Quantity:
    """One figure of a text: every reading of its value, and whether a scale word or unit made it."""

    text: str
    values: tuple[float, ...]
    scaled: bool = False
    mantissas: tuple[float, ...] = ()  # the number before its scale word ("175" of "175 billion")
    month: bool = False  # a month of the year: 12 of "2023年12月", December of "December 2023"


def _digit_readings(digits: str) -> tuple[float, ...]:
    """Every value a written number can have: separators read as thousands or as a decimal mark."""
    plain = re.sub(r"[\u00a0\u202f]", "", digits)
    if "," in plain and "." in plain:
        # The last mark is the decimal one: 1,750.5 (English) or 1.750,5 (German).
        decimal = "." if plain.rfind(".") > plain.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        return (float(plain.replace(thousands, "").replace(decimal, ".")),)
    for mark in ",.":
        groups = plain.split(mark)
        if len(groups) == 1:
            continue
        grouped = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
        if len(groups) > 2:
            # 1,750,000 or 1.750.000; anything else (3.5.1) is a version, read as written.
            return (float("".join(groups)),) if grouped else ()
        if mark == "," and not grouped:
            return (float(plain.replace(",", ".")),)  # a decimal comma: 1,5 Milliarden
        if mark == "," or not grouped:
            return (float("".join(groups)),) if mark == "," else (float(plain),)
        return (float(plain), float("".join(groups)))  # 1.500: 1.5 in English, 1500 in German
    return (float(plain),)


def _cjk_numeral(text: str) -> float:
    """一亿 = 1e8, 两千万 = 2e7, 二十五万 = 2.5e5 (sections closed by 亿 and 万)."""
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4}
    digits |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    units = {"十": 10, "百": 100, "千": 1000}
    total, section, digit = 0.0, 0.0, 0.0
    for char in text:
        if char in digits:
            digit = digits[char]
        elif char in units:
            section += (digit or 1) * units[char]
            digit = 0
        else:  # 万 or 亿 closes a section
            scale = 1e8 if char in "亿億" else 1e4
            total = (total + section + digit) * scale if scale == 1e8 else total + (section + digit) * scale
            section, digit = 0.0, 0.0
    return total + section + digit


def _scale(match: re.Match[str]) -> tuple[float, ...] | None:
    if match["cjk"]:
        scale = (1.0,)
        for char in match["cjk"]:
            scale = tuple(s * c for s in scale for c in _CJK_SCALE[char])
        return scale
    if match["bytes"]:
        return (_BYTES[match["bytes"].lower()],)
    if match["suffix"]:
        return (_SUFFIX[match["suffix"]],)
    if match["word"]:
        word = match["word"].lower()
        return next(values for pattern, values in _WORD_SCALES if re.fullmatch(pattern, word, re.I))
    return None


def quantities(text: str) -> list[Quantity]:
    """The quantities written in `text`, in order."""
    found: list[Quantity] = []
    matches = list(_QUANTITY.finditer(text))
    for index, match in enumerate(matches):
        if match["pct_cn"]:
            number = match["pct_cn"]
            readings = _digit_readings(number) if number[0].isdigit() else (_cjk_numeral(number),)
            found.append(Quantity(match.group(), readings))
            continue
        if match["cn"]:
            found.append(Quantity(match.group(), (_cjk_numeral(match["cn"]),), scaled=True))
            continue
        readings = _digit_readings(match["num"])
        if not readings:
            found.append(Quantity(match.group(), ()))
            continue
        scale = _scale(match)
        following = matches[index + 1] if index + 1 < len(matches) else None
        if (
            scale is None
            and following is not None
            and _starts_alone(text, match.start())
            and _RANGE.match(text[match.end() : following.start()])
        ):
            scale = _scale(following) if following["num"] else None
        if scale is None:
            month = text[match.end() : match.end() + 2].lstrip().startswith("月") and readings[0] in range(1, 13)
            found.append(Quantity(match.group(), readings, month=month))
            continue
        values = tuple(r * s for r in readings for s in scale)
        found.append(Quantity(match.group(), values, scaled=True, mantissas=readings))
    return _joined(found, text)


def _starts_alone(text: str, start: int) -> bool:
    """A number that begins a word, not the end of a name (the 3 of GPT-3)."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "-_.")


def _joined(found: list[Quantity], text: str) -> list[Quantity]:
    """1亿7500万 is one quantity (175 million), not two."""
    joined: list[Quantity] = []
    for q in found:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.text.endswith(("亿", "億"))
            and q.text.endswith(("万", "萬"))
            and text.find(last.text + q.text) >= 0
        ):
            values = tuple(a + b for a in last.values for b in q.values)
            joined[-1] = Quantity(last.text + q.text, values, scaled=True)
            continue
        joined.append(q)
    return joined


def supplied(text: str) -> list[Quantity]:
    """What a passage offers to support claims with: its quantities, and the month numbers its dates name
    ("December 2023" supports "2023年12月")."""
    months = [
        Quantity(m.group(1), (float(_MONTHS[m.group(1).lower()]),), month=True) for m in _MONTH_NAME.finditer(text)
    ]
    return quantities(text) + months


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL)


def matches(claimed: Quantity, offered: Quantity) -> bool:
    """Whether a passage's quantity states the claim's: equal values. A bare number may also be the number
    before a scale word ("8 to 405 billion" vs "8 billion"); a scaled one must equal the value. A month name
    supports only a month (June is no 6 apples)."""
    if offered.month and not claimed.month:
        return False
    if not claimed.values:
        return claimed.text == offered.text
    candidates = offered.values if claimed.scaled else offered.values + offered.mantissas
    return any(_close(a, b) for a in claimed.values for b in candidates)


def all_supported(claimed: Iterable[Quantity], offered: list[Quantity]) -> bool:
    """Every quantity of a claim equals some quantity the passage offers."""
    return all(any(matches(c, o) for o in offered) for c in claimed)
