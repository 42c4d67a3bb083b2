"""Resource limits on what is indexed: file size, PDF pages, unzipped size; and each file read and parsed once."""

import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdf

from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.ingest.conftest import DocFactory

MiB = 1024 * 1024
GOOD = "# Washer\n\nRun an empty hot wash monthly to stop the drum smelling.\n"


def limited_store(tmp_path: Path, make_settings: Callable[..., Settings], **limits: int) -> Store:
    return Store(make_settings(tmp_path / "data", **limits))


def test_a_docx_that_inflates_past_the_limit_is_refused_and_the_batch_goes_on(
    tmp_path: Path, docs: DocFactory, make_settings, embedding_model: str
) -> None:
    store = limited_store(tmp_path, make_settings, max_unzipped_mb=2)
    bomb = docs.zip_bomb_docx("bomb.docx", inflated_mb=8)
    assert bomb.stat().st_size < 100_000  # a zip bomb: kilobytes that inflate to 8 MB
    fine = docs.docx("fine.docx", [("h1", "Boiler"), ("p", "Bleed the radiators each autumn.")])
    good = docs.text("washer.md", GOOD)

    report = ingest_paths(store, [bomb, fine, good])

    [failure] = report.failed
    assert failure.path == str(bomb.resolve())
    inflated = sum(member.file_size for member in zipfile.ZipFile(bomb).infolist())  # 8 MB and Word's parts
    assert f"the .docx inflates to {inflated / MiB:.1f} MB; the limit is 2 MB unzipped" in failure.error
    assert "CITEWISE_MAX_UNZIPPED_MB" in failure.error
    assert report.added == 2
    assert {d.source for d in store.documents()} == {str(fine.resolve()), str(good.resolve())}


def test_a_pdf_with_more_pages_than_the_limit_is_refused(
    tmp_path: Path, docs: DocFactory, make_settings, embedding_model: str
) -> None:
    store = limited_store(tmp_path, make_settings, max_pdf_pages=50)
    many = docs.pdf("many.pdf", [f"Page {n} of the long manual." for n in range(1, 61)])
    assert len(pypdf.PdfReader(many).pages) == 60
    enough = docs.pdf("enough.pdf", [f"Page {n} of the short manual." for n in range(1, 51)])

    report = ingest_paths(store, [many, enough])

    [failure] = report.failed
    assert failure.path == str(many.resolve())
    assert "the PDF has 60 pages; the limit is 50 pages" in failure.error
    assert "CITEWISE_MAX_PDF_PAGES" in failure.error
    assert report.added == 1 and store.document(str(enough.resolve())) is not None


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, docs: DocFactory, make_settings, embedding_model: str):
    store = limited_store(tmp_path, make_settings, max_file_mb=1)
    big = docs.text("big.md", "# Big\n\n" + " " * (2 * MiB) + "\nThe end.\n")  # whitespace: cheap to index
    good = docs.text("washer.md", GOOD)

    report = ingest_paths(store, [big, good])

    [failure] = report.failed
    assert failure.path == str(big.resolve())
    assert failure.error.startswith("the file is 2.0 MB; the limit is 1 MB a file")
    assert "CITEWISE_MAX_FILE_MB" in failure.error
    assert report.added == 1


@contextmanager
def opens_and_pdf_parses(watched: list[Path]) -> Iterator[tuple[dict[str, int], list[int]]]:
    """Count, while the block runs, how often each watched file is opened (Python's `open` audit event,
    which every open(), os.open() and io.open() raises) and how many pypdf readers are built (a profile
    hook on PdfReader.__init__). Nothing is replaced: the real code runs."""
    names = {str(p.resolve()) for p in watched} | {str(p) for p in watched}
    opens: dict[str, int] = {}
    readers = [0]
    active = [True]

    def audit(event: str, args: tuple) -> None:
        if active[0] and event == "open" and isinstance(args[0], str | Path) and str(args[0]) in names:
            key = str(Path(args[0]).resolve())
            opens[key] = opens.get(key, 0) + 1

    init_code = pypdf.PdfReader.__init__.__code__

    def profile(frame, event: str, arg) -> None:
        if event == "call" and frame.f_code is init_code:
            readers[0] += 1

    sys.addaudithook(audit)  # audit hooks cannot be removed; `active` switches this one off afterwards
    sys.setprofile(profile)
    threading.setprofile(profile)  # the ingest parses files in a thread of its own
    try:
        yield opens, readers
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        active[0] = False


def test_each_file_is_read_once_and_each_pdf_parsed_once(
    tmp_path: Path, docs: DocFactory, make_settings, embedding_model: str
) -> None:
    store = limited_store(tmp_path, make_settings)
    files = [
        docs.text("notes.md", GOOD),
        docs.text("plain.txt", "Descale the kettle monthly with citric acid.\n"),
        docs.text("page.html", "<html><head><title>Pump</title></head><body><p>Prime the pump.</p></body></html>"),
        docs.pdf("manual.pdf", ["Relief valves open above the set point.", "Replace the gasket."], title="Valves"),
        docs.docx("boiler.docx", [("h1", "Boiler"), ("p", "Bleed the radiators each autumn.")]),
    ]

    with opens_and_pdf_parses(files) as (opens, readers):
        report = ingest_paths(store, files)

    assert report.added == 5 and not report.failed
    assert opens == {str(p.resolve()): 1 for p in files}
    assert readers == [1]
    assert store.document(str(files[3].resolve())).title == "Valves"
