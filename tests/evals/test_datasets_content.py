"""Every dataset in evals/datasets/ is well-formed, big and varied enough, halved evenly, and grounded in
the text its corpus gives the index (each file through ingest's own loader, as the metrics compare it)."""

from collections import Counter
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.evals.dataset import (
    DEV_SET,
    LANGUAGES,
    SPLITS,
    SQLITE_CORPUS,
    SQLITE_SET,
    EvalItem,
    corpus_for,
    half,
    load_dataset,
)
from citewise.evals.metrics import normalize
from citewise.ingest import BUNDLED_CORPUS
from citewise.ingest.chunking import chunk_text
from citewise.ingest.loaders import SUPPORTED_SUFFIXES, LoadedText, load_file

DATASETS_DIR = DEV_SET.parent
# Each dataset and the corpus folder its questions are about (generated-corpus.jsonl: the sample articles).
GENERATED_SET = DATASETS_DIR / "generated-corpus.jsonl"
CORPORA = {path.name: corpus_for(path) or BUNDLED_CORPUS for path in (DEV_SET, SQLITE_SET, GENERATED_SET)}
HAND_WRITTEN = (DEV_SET.name, SQLITE_SET.name)  # the generated set has no kinds, and its halves are small
OTHER_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != "en")


@pytest.fixture(scope="module")
def loaded() -> dict[str, dict[str, LoadedText]]:
    """Per dataset: each corpus file's name -> what ingest's loader makes of it."""
    return {
        name: {path.name: load_file(path) for path in sorted(folder.iterdir()) if path.suffix in SUPPORTED_SUFFIXES}
        for name, folder in CORPORA.items()
    }


@pytest.fixture(scope="module")
def texts(loaded: dict[str, dict[str, LoadedText]]) -> dict[str, dict[str, str]]:
    """Per dataset: each corpus file's name -> its loaded text, normalized as the metrics compare it."""
    return {name: {file: normalize(doc.text) for file, doc in docs.items()} for name, docs in loaded.items()}


@pytest.fixture(scope="module")
def datasets() -> dict[str, list[EvalItem]]:
    return {name: load_dataset(DATASETS_DIR / name) for name in CORPORA}


def test_every_dataset_file_names_its_corpus() -> None:
    # verifier-*.jsonl are claim benches over these question sets (tests/evals/test_verifier_bench.py loads them)
    question_sets = [p.name for p in DATASETS_DIR.glob("*.jsonl") if not p.name.startswith("verifier-")]
    assert sorted(question_sets) == sorted(CORPORA)
    assert corpus_for(SQLITE_SET) == SQLITE_CORPUS
    assert corpus_for(DEV_SET) is None and corpus_for(Path("my-questions.jsonl")) is None


def test_ids_are_unique_across_datasets(datasets: dict[str, list[EvalItem]]) -> None:
    counts = Counter(item.id for items in datasets.values() for item in items)
    assert not [item_id for item_id, n in counts.items() if n > 1]


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_answerable_evidence_is_in_its_source_as_loaded(
    name: str, datasets: dict[str, list[EvalItem]], texts: dict[str, dict[str, str]]
) -> None:
    corpus = texts[name]
    missing = []
    for item in (i for i in datasets[name] if i.answerable):
        if item.source and item.source not in corpus:
            missing.append((item.id, f"no source file {item.source}"))
            continue
        bodies = [corpus[item.source]] if item.source else list(corpus.values())
        missing += [(item.id, e) for e in item.evidence if not any(normalize(e) in body for body in bodies)]
    assert not missing, f"evidence not in the loaded text of its source: {missing}"


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_evidence_fits_inside_one_chunk_of_the_default_chunking(
    name: str, datasets: dict[str, list[EvalItem]], loaded: dict[str, dict[str, LoadedText]]
) -> None:
    """An evidence string cut in two by a chunk boundary could never be retrieved whole: every miss must
    be a ranking miss."""
    size, overlap = (Settings.model_fields[key].default for key in ("chunk_size", "chunk_overlap"))
    chunks = {
        file: [normalize(c.text) for c in chunk_text(file, doc.title, doc.text, "0" * 64, size, overlap)]
        for file, doc in loaded[name].items()
    }
    cut = []
    for item in (i for i in datasets[name] if i.answerable):
        pool = chunks[item.source] if item.source else [c for texts in chunks.values() for c in texts]
        cut += [(item.id, e) for e in item.evidence if not any(normalize(e) in chunk for chunk in pool)]
    assert not cut


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_answerable_items_have_evidence_and_unanswerable_have_none(
    name: str, datasets: dict[str, list[EvalItem]]
) -> None:
    items = datasets[name]
    assert not [i.id for i in items if i.answerable and not i.evidence]
    assert not [i.id for i in items if not i.answerable and (i.answers or i.evidence or i.partial)]


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_an_english_number_answer_is_written_in_its_evidence(name: str, datasets: dict[str, list[EvalItem]]) -> None:
    """A guard against typos in numbers: one accepted answer is the figure as the corpus writes it."""
    numbers = [i for i in datasets[name] if i.answerable and i.kind == "number" and i.lang == "en"]
    assert numbers
    wrong = [i.id for i in numbers if not any(normalize(a) in normalize(" ".join(i.evidence)) for a in i.answers)]
    assert not wrong


def kinds(items: list[EvalItem]) -> Counter[str]:
    return Counter(i.kind for i in items)


def test_the_dev_set_is_big_hard_and_multilingual(datasets: dict[str, list[EvalItem]]) -> None:
    items = datasets[DEV_SET.name]
    answerable = [i for i in items if i.answerable]
    unanswerable = [i for i in items if not i.answerable]
    assert len(answerable) >= 150 and len(unanswerable) >= 40
    assert kinds(unanswerable)["near_miss"] >= 25
    languages = Counter(i.lang for i in items)
    assert sum(languages[lang] for lang in OTHER_LANGUAGES) >= 30
    assert all(languages[lang] >= 5 for lang in OTHER_LANGUAGES), languages
    assert all(any(not i.answerable for i in items if i.lang == lang) for lang in OTHER_LANGUAGES)
    found = kinds(answerable)
    assert all(found[kind] >= 5 for kind in ("list", "yesno", "why", "number", "howto")), found
    partial = [i for i in items if i.partial]
    assert len(partial) >= 5 and all(i.answered_part for i in partial)
    # Chinese numbers with their scale words (亿 = 10^8, 万 = 10^4) among the accepted answers.
    assert sum(any("亿" in a or "万" in a for a in i.answers) for i in items if i.lang == "zh") >= 3


def test_the_sqlite_set_is_big_and_varied(datasets: dict[str, list[EvalItem]]) -> None:
    items = datasets[SQLITE_SET.name]
    answerable = [i for i in items if i.answerable]
    unanswerable = [i for i in items if not i.answerable]
    assert len(answerable) >= 40 and len(unanswerable) >= 12
    assert kinds(unanswerable)["near_miss"] >= 6
    found = kinds(answerable)
    assert all(found[kind] >= 4 for kind in ("number", "yesno", "howto", "why")), found
    assert sum(bool(i.source) for i in answerable) >= 0.9 * len(answerable)  # the rest: evidence in several pages


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_the_halves_are_balanced(name: str, datasets: dict[str, list[EvalItem]]) -> None:
    items = datasets[name]
    halves = Counter(half(i) for i in items)
    assert abs(halves["tune"] - halves["report"]) <= 0.1 * len(items), halves
    # The items dealt out by hand (the older ones keep their id-hashed halves) are halved within
    # every language, kind and partial-ness, to one item.
    dealt = [i for i in items if i.split]
    assert dealt
    for key in (lambda i: i.lang, lambda i: (i.answerable, i.kind), lambda i: i.partial):
        counts = Counter((key(i), half(i)) for i in dealt)
        groups = {group for group, _ in counts}
        uneven = {g: (counts[g, SPLITS[0]], counts[g, SPLITS[1]]) for g in groups}
        assert all(abs(t - r) <= 1 for t, r in uneven.values()), uneven
