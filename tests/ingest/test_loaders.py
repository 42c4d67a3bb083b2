"""Each supported file type yields its title and clean text; each bad file a LoadError that says why."""

import zipfile
from pathlib import Path

import pytest

from citewise.ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load_file

PUMP_HTML = """<!doctype html>
<html><head><title>Pump Care Guide</title>
<style>.menu { color: red }</style>
<script>var tracking = "SCRIPT_SECRET";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/shop">NAV_SHOP_LINK</a></nav>
<h1>Pump care</h1>
<p>Prime the pump with water before the first start.</p>
<h2>Winter storage</h2>
<p>Drain the casing and keep it <a href="/dry">somewhere dry</a> until spring.</p>
<footer>FOOTER_COPYRIGHT</footer>
</body></html>
"""


def test_txt_is_read_with_normalised_lines_and_titled_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "kettle-notes.txt"
    path.write_bytes(b"Descale the kettle monthly.   \r\nUse citric acid, not vinegar.\r\n\r\n")

    loaded = load_file(path)

    assert loaded.title == "kettle-notes"
    assert loaded.text == "Descale the kettle monthly.\nUse citric acid, not vinegar.\n"


def test_md_takes_its_title_from_front_matter_and_drops_the_block(tmp_path: Path) -> None:
    path = tmp_path / "garden.md"
    path.write_text('---\ntitle: "Growing Tomatoes"\nauthor: Sam\n---\n# Tomatoes\n\nPinch out side shoots.\n')

    loaded = load_file(path)

    assert loaded.title == "Growing Tomatoes"
    assert loaded.text == "# Tomatoes\n\nPinch out side shoots.\n"


def test_md_without_front_matter_takes_its_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "garden.md"
    path.write_text("Intro line.\n\n# Growing Beans #\n\nWater daily.\n")

    assert load_file(path).title == "Growing Beans"


def test_html_keeps_headings_as_markdown_and_drops_page_chrome(tmp_path: Path) -> None:
    path = tmp_path / "pump.html"
    path.write_text(PUMP_HTML)

    loaded = load_file(path)

    assert loaded.title == "Pump Care Guide"
    assert "# Pump care\n" in loaded.text
    assert "## Winter storage\n" in loaded.text
    assert "Prime the pump with water before the first start." in loaded.text
    assert "somewhere dry" in loaded.text
    for chrome in ("SCRIPT_SECRET", "NAV_SHOP_LINK", "FOOTER_COPYRIGHT", "color: red", "/dry"):
        assert chrome not in loaded.text


def test_html_keeps_each_paragraph_on_one_line_however_long(tmp_path: Path) -> None:
    """Wrapped at a column, a sentence reached the sentence splitter (and the verifier's spans) as fragments."""
    sentence = (
        "But enforcement of foreign key constraints is turned off by default (for backwards compatibility), "
        "so it must be enabled separately for each database connection."
    )
    path = tmp_path / "faq.html"
    path.write_text(
        f"<html><body><blockquote><p>As of version 3.6.19 it supports them.\n  {sentence}</p>"
        f"</blockquote><ul><li>First item.</li><li>Second item.</li></ul></body></html>"
    )

    loaded = load_file(path)

    assert f"> As of version 3.6.19 it supports them. {sentence}\n" in loaded.text
    assert "  * First item.\n  * Second item.\n" in loaded.text


def test_pdf_text_from_every_page_and_title_from_metadata(docs) -> None:
    path = docs.pdf(
        "manual.pdf",
        ["Relief valves open when pressure exceeds the set point.", "Replace the gasket every spring."],
        title="Valve Manual",
    )

    loaded = load_file(path)

    assert loaded.title == "Valve Manual"
    first, second = loaded.text.index("Relief valves open"), loaded.text.index("Replace the gasket")
    assert first < second


def test_docx_paragraphs_in_order(docs) -> None:
    path = docs.docx(
        "boiler.docx",
        [
            ("h1", "Boiler Guide"),
            ("p", "Bleed the radiators each autumn."),
            ("h2", "Safety"),
            ("p", "Turn off the gas."),
        ],
    )

    text = load_file(path).text

    positions = [text.index(s) for s in ("Boiler Guide", "Bleed the radiators", "Safety", "Turn off the gas.")]
    assert positions == sorted(positions)


BAD_FILES = [
    ("table.csv", lambda d: d.text("table.csv", "a,b\n1,2\n"), "unsupported file type '.csv'"),
    ("Makefile", lambda d: d.text("Makefile", "all:\n"), "unsupported file type 'Makefile'"),
    ("empty.md", lambda d: d.raw("empty.md", b""), "the file is empty"),
    ("blob.txt", lambda d: d.raw("blob.txt", b"abc\x00\x01\x02def"), "binary content"),
    ("locked.pdf", lambda d: d.encrypted_pdf("locked.pdf", ["Secret plans."]), "encrypted"),
    ("scan.pdf", lambda d: d.scanned_pdf("scan.pdf"), "no text could be extracted (a scanned PDF?"),
    ("junk.pdf", lambda d: d.raw("junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8), "not a readable PDF"),
    ("noise.docx", lambda d: d.raw("noise.docx", bytes(range(256)) * 16), "not a valid .docx"),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_files_raise_a_load_error_with_the_reason(docs, name: str, make, reason: str) -> None:
    path = make(docs)

    with pytest.raises(LoadError) as failure:
        load_file(path)

    assert reason in str(failure.value)


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a document")

    with pytest.raises(LoadError, match="cannot read the Word document"):
        load_file(path)


def test_a_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read the file: No such file"):
        load_file(tmp_path / "gone.md")


def test_the_unsupported_message_lists_what_is_supported(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")

    with pytest.raises(LoadError) as failure:
        load_file(path)

    assert all(suffix in str(failure.value) for suffix in SUPPORTED_SUFFIXES)
