"""The cleaned corpus stays verbatim to its seeds: chrome removed, nothing invented."""

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "corpus"
# The raw pages the articles were cleaned from, kept beside this test so a clone alone can check them.
SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
ARTICLES = sorted(CORPUS_DIR.glob("*.md"))
EXPECTED_ARTICLES = 4
HEADING_MARKER = re.compile(r"^#{1,6} ")


def parse_article(path: Path) -> tuple[dict[str, str], list[str]]:
    """Split a corpus file into its front matter fields and its body lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "---" or "---" not in lines[1:]:
        pytest.fail(f"{path.name}: missing '---' front matter block")
    end = lines.index("---", 1)
    fields = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if not sep:
            pytest.fail(f"{path.name}: front matter line without 'key: value': {line!r}")
        fields[key.strip()] = value.strip()
    return fields, lines[end + 1 :]


def seed_path(fields: dict[str, str]) -> Path:
    """Locate the seed named in the front matter; fail if the seeds folder is absent."""
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"seed folder not found at {SEEDS_DIR}; cannot check the corpus without it")
    return SEEDS_DIR / fields["seed"]


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.name)
def test_front_matter_names_title_and_existing_seed(article: Path) -> None:
    fields, body = parse_article(article)
    assert fields.get("title"), f"{article.name}: front matter has no title"
    assert fields.get("seed"), f"{article.name}: front matter has no seed"
    assert seed_path(fields).is_file(), f"{article.name}: seed file {fields['seed']} does not exist"
    first_line = next(line for line in body if line.strip())
    assert first_line == f"# {fields['title']}", f"{article.name}: body must open with '# <title>'"


@pytest.mark.parametrize("article", ARTICLES, ids=lambda p: p.name)
def test_every_body_line_is_a_seed_line(article: Path) -> None:
    fields, body = parse_article(article)
    seed_lines = {line.strip() for line in seed_path(fields).read_text(encoding="utf-8").splitlines()}
    content = [line.strip() for line in body if line.strip()]
    # A seed may lack a title line, so only the opening title heading is exempt.
    if content and content[0] == f"# {fields['title']}":
        content = content[1:]
    invented = [line for line in content if HEADING_MARKER.sub("", line).strip() not in seed_lines]
    assert not invented, f"{article.name}: lines not found in {fields['seed']}: {invented}"


def test_four_articles_each_seed_used_once() -> None:
    seeds = [parse_article(article)[0].get("seed") for article in ARTICLES]
    assert len(ARTICLES) == EXPECTED_ARTICLES, f"expected {EXPECTED_ARTICLES} articles, found {len(ARTICLES)}"
    assert len(set(seeds)) == len(seeds), f"a seed is used more than once: {sorted(seeds)}"
