"""Ingesting into a real store: idempotent, replaces what changed, and one bad file never costs the rest."""

from pathlib import Path

from citewise.ingest import pipeline
from citewise.ingest.pipeline import FileDone, ingest_paths, remove_source
from citewise.retrieval.store import DocumentVersion, Store
from tests.retrieval.test_store_contract import make_doc

KETTLE = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
KETTLE_V2 = "# Kettle\n\nNever boil the kettle dry; the thermal fuse trips and must be replaced.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"
FRIDGE = "# Fridge\n\nKeep the fridge between three and five degrees and defrost the freezer yearly.\n"


def write_three(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in [("kettle.md", KETTLE), ("oven.md", OVEN), ("fridge.txt", FRIDGE)]:
        (folder / name).write_text(text)
        paths.append((folder / name).resolve())
    return paths


def keyword_sources(store: Store, query: str) -> set[str]:
    """The documents the saved keyword index finds, as a new process would open it."""
    reader = Store(store.settings)
    found = dict(reader.keyword_search(query, 10))
    return {c.source for c in reader.get_chunks(list(found)).values()}


def test_first_ingest_adds_every_file(store: Store, tmp_path: Path) -> None:
    paths = write_three(tmp_path / "docs")
    events: list[FileDone] = []

    report = ingest_paths(store, [tmp_path / "docs"], progress=events.append)

    assert (report.added, report.updated, report.unchanged, report.removed, report.failed) == (3, 0, 0, 0, [])
    assert report.chunks == store.count_chunks() == 3
    assert [d.source for d in store.documents()] == sorted(str(p) for p in paths)
    assert [d.title for d in store.documents()] == ["Fridge", "Kettle", "Oven"]
    assert [(e.status, e.done, e.total) for e in events] == [("added", i, 3) for i in (1, 2, 3)]
    assert keyword_sources(store, "citric acid descale") == {str(paths[0])}


def test_ingesting_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    write_three(tmp_path / "docs")
    ingest_paths(store, [tmp_path / "docs"])
    before = (store.documents(), store.chunks(), store.fingerprint())

    report = ingest_paths(store, [tmp_path / "docs"])

    assert (report.added, report.updated, report.unchanged, report.chunks, report.failed) == (0, 0, 3, 0, [])
    assert (store.documents(), store.chunks(), store.fingerprint()) == before  # same indexed_at: nothing rewritten


def test_a_changed_file_is_updated_and_its_old_chunks_are_gone(store: Store, tmp_path: Path) -> None:
    kettle = write_three(tmp_path / "docs")[0]
    ingest_paths(store, [tmp_path / "docs"])
    old_ids = [c.id for c in store.chunks([str(kettle)])]
    kettle.write_text(KETTLE_V2)

    report = ingest_paths(store, [tmp_path / "docs"])

    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert report.chunks == 1
    assert store.get_chunks(old_ids) == {}
    [chunk] = store.chunks([str(kettle)])
    assert "thermal fuse" in chunk.text
    assert keyword_sources(store, "citric acid descale") == set()
    assert keyword_sources(store, "thermal fuse") == {str(kettle)}


def test_prune_drops_documents_whose_files_are_gone(store: Store, tmp_path: Path) -> None:
    kettle, oven, _ = write_three(tmp_path / "docs")
    ingest_paths(store, [tmp_path / "docs"])
    oven.unlink()

    kept = ingest_paths(store, [tmp_path / "docs"])
    assert kept.removed == 0 and store.document(str(oven)) is not None  # without --prune nothing is dropped

    report = ingest_paths(store, [tmp_path / "docs"], prune=True)

    assert report.removed == 1 and report.unchanged == 2
    assert store.document(str(oven)) is None
    assert store.document(str(kettle)) is not None
    assert keyword_sources(store, "baking soda oven glass") == set()


def test_remove_source_drops_one_document_by_its_path(store: Store, tmp_path: Path, monkeypatch) -> None:
    kettle, oven, _ = write_three(tmp_path / "docs")
    ingest_paths(store, [tmp_path / "docs"])
    monkeypatch.chdir(tmp_path)

    assert remove_source(store, "docs/oven.md") is True  # a relative path finds the indexed absolute one

    assert store.document(str(oven)) is None and store.document(str(kettle)) is not None
    assert keyword_sources(store, "baking soda oven glass") == set()
    assert remove_source(store, str(oven)) is False
    assert remove_source(store, "docs/never-indexed.md") is False
    assert len(store.documents()) == 2


def test_hidden_files_and_folders_are_skipped(store: Store, tmp_path: Path) -> None:
    write_three(tmp_path / "docs")
    (tmp_path / "docs" / ".draft.md").write_text(OVEN)
    (tmp_path / "docs" / ".git").mkdir()
    (tmp_path / "docs" / ".git" / "notes.md").write_text(OVEN)

    report = ingest_paths(store, [tmp_path / "docs"])

    assert report.added == 3 and report.failed == []


def test_bad_files_fail_alone_and_the_rest_is_indexed(store: Store, tmp_path: Path, docs, make_unreadable) -> None:
    already = write_three(tmp_path / "indexed")
    ingest_paths(store, [tmp_path / "indexed"])
    indexed_before = store.documents()

    good = docs.text("a-good.md", "# Washer\n\nRun an empty hot wash monthly to stop the drum smelling.\n")
    docs.text("empty.txt", "")
    docs.text("locked.md", "# Locked\n\nThis file exists but cannot be read.\n")
    docs.text("sheet.csv", "a,b\n1,2\n")
    docs.encrypted_pdf("secret.pdf", ["Password protected notes."])
    docs.scanned_pdf("scan.pdf")
    docs.raw("broken.docx", bytes(range(256)) * 16)
    # Files are read ahead of the embedding, at most PREPARE_AHEAD of them: indexed files listed before
    # vanishing.md (unchanged this time) keep the reading from reaching it before it is deleted.
    for n in range(pipeline.PREPARE_AHEAD + 8):
        docs.text(f"filler/{n:03d}.md", f"# Filler {n}\n\nFiller note number {n}.\n")
    ingest_paths(store, [docs.folder / "filler"])
    indexed_before = store.documents()
    vanishing = docs.text("vanishing.md", "# Vanishing\n\nDeleted after the batch was listed.\n")
    missing = tmp_path / "no-such-folder"

    def delete_vanishing_file(event: FileDone) -> None:
        # After the first file, so the file is listed but gone by the time its turn comes.
        if event.done == 1:
            vanishing.unlink()

    with make_unreadable(docs.folder / "locked.md"):
        report = ingest_paths(store, [docs.folder, missing], progress=delete_vanishing_file)

    failures = {Path(f.path).name: f.error for f in report.failed}
    assert failures == {
        "no-such-folder": "no such file or folder",
        "empty.txt": "the file is empty",
        "locked.md": "cannot read the file: Permission denied",
        "sheet.csv": failures["sheet.csv"],
        "secret.pdf": failures["secret.pdf"],
        "scan.pdf": "no text could be extracted (a scanned PDF? run OCR on it first)",
        "broken.docx": failures["broken.docx"],
        "vanishing.md": "cannot read the file: No such file or directory",
    }
    assert failures["sheet.csv"].startswith("unsupported file type '.csv'")
    assert "encrypted" in failures["secret.pdf"]
    assert "not a valid .docx" in failures["broken.docx"]
    assert all(Path(f.path).is_absolute() or f.path == str(missing) for f in report.failed)
    assert report.added == 1 and report.chunks == 1
    documents = {d.source: d for d in store.documents()}
    assert set(documents) == {d.source for d in indexed_before} | {str(good.resolve())}
    assert {str(p) for p in already} <= set(documents)
    assert all(documents[d.source] == d for d in indexed_before)  # untouched, not even re-indexed
    assert keyword_sources(store, "drum smelling hot wash") == {str(good.resolve())}


def test_a_file_that_turns_bad_keeps_its_indexed_version(store: Store, tmp_path: Path, docs) -> None:
    notes = docs.text("notes.md", KETTLE)
    manual = docs.pdf("manual.pdf", ["Bleed the radiators before winter."])
    ingest_paths(store, [docs.folder])
    before = store.documents()
    chunks_before = store.chunks()
    notes.write_bytes(b"")  # truncated by a crashed editor
    docs.encrypted_pdf("manual.pdf", ["Bleed the radiators before winter."])

    report = ingest_paths(store, [docs.folder])

    assert sorted((Path(f.path).name, f.error.split(" (")[0]) for f in report.failed) == [
        ("manual.pdf", "the PDF is encrypted"),
        ("notes.md", "the file is empty"),
    ]
    assert (report.added, report.updated, report.unchanged) == (0, 0, 0)
    assert store.documents() == before and store.chunks() == chunks_before
    assert keyword_sources(store, "citric acid descale") == {str(notes.resolve())}
    assert store.document(str(manual.resolve())) is not None


def test_progress_counts_chunks_and_estimates_the_time_left(store: Store, tmp_path: Path) -> None:
    write_three(tmp_path / "docs")
    events: list[FileDone] = []

    ingest_paths(store, [tmp_path / "docs"], progress=events.append)

    assert [e.chunks_done for e in events] == [1, 2, 3]
    assert all(e.elapsed_s > 0 and e.chunks_per_s > 0 for e in events)
    assert [e.eta_s for e in events][-1] == 0
    assert all(e.eta_s is not None and e.eta_s >= 0 for e in events)


def test_a_file_whose_batch_write_fails_fails_alone(store: Store, tmp_path: Path) -> None:
    """A batch that Chroma refuses is written again file by file: only the bad file fails, with the reason."""
    kettle, oven, fridge = write_three(tmp_path / "docs")
    good = [make_doc(store.settings, str(p), p.read_text()) for p in (kettle, fridge)]
    bad = make_doc(store.settings, str(oven), OVEN)
    # Chroma refuses a write that repeats a chunk id.
    broken = DocumentVersion(bad.source, bad.title, bad.content_hash, (*bad.chunks, *bad.chunks), bad.chars)
    batch = [pipeline._Prepared(kettle, 1, "write", _version(good[0])), pipeline._Prepared(oven, 1, "write", broken)]
    batch.append(pipeline._Prepared(fridge, 1, "write", _version(good[1])))
    report = pipeline.IngestReport()
    tracker = pipeline._Tracker([kettle, oven, fridge], report, None, 0.0)

    with store.writing("ingest"):
        pipeline._write(store, batch, {}, tracker)

    assert (report.added, report.chunks) == (2, 2)
    [failure] = report.failed
    assert failure.path == str(oven) and failure.error.startswith("could not be indexed:")
    assert "unique" in failure.error.lower() or "duplicate" in failure.error.lower()
    assert [d.source for d in store.documents()] == sorted([str(kettle), str(fridge)])
    assert {c.source for c in store.chunks()} == {str(kettle), str(fridge)}


def _version(doc) -> DocumentVersion:
    return DocumentVersion(doc.source, doc.title, doc.content_hash, tuple(doc.chunks), doc.chars)


def test_the_batch_size_changes_nothing_that_is_indexed(tmp_path: Path, make_settings, embedding_model: str) -> None:
    """One file per batch or all files in one: the same documents, chunks, vectors and keyword index."""
    write_three(tmp_path / "docs")
    paragraphs = (
        f"Step {n}: check fuse {n} of the kettle base, rated {n * 3 + 2} amps, every {n + 1} weeks." for n in range(40)
    )
    (tmp_path / "docs" / "long.md").write_text("# Long\n\n" + "\n\n".join(paragraphs))

    def indexed(batch: int) -> tuple:
        store = Store(make_settings(tmp_path / f"data-{batch}", embed_batch=batch))
        report = ingest_paths(store, [tmp_path / "docs"])
        assert (report.added, report.failed) == (4, [])
        nearest = [(c.id, round(score, 4)) for c, score in store.dense_search("thermal fuse of a kettle", 4)]
        return (
            [(d.source, d.content_hash, d.chunks) for d in store.documents()],
            store.chunks(),
            nearest,
            store.keyword_search("fridge freezer kettle fuse", 10),
        )

    one_by_one, together = indexed(1), indexed(256)
    assert len(together[1]) > 4
    assert one_by_one == together


def test_a_page_indexed_as_html_was_read_before_is_read_again_and_nothing_else(
    store: Store, tmp_path: Path, monkeypatch
) -> None:
    """HTML was read wrapped at 78 columns until 2026-12-07; such a page must not stay "unchanged"."""
    docs = tmp_path / "docs"
    write_three(docs)
    sentence = "Prime the pump with water before the first start, or the seal runs dry and cracks within a minute."
    (docs / "pump.html").write_text(f"<html><body><p>{sentence}</p></body></html>")
    with monkeypatch.context() as old_reading:
        old_reading.setattr(pipeline, "reading_of", lambda path: "")
        ingest_paths(store, [docs])

    report = ingest_paths(store, [docs])

    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    [chunk] = store.chunks([str((docs / "pump.html").resolve())])
    assert sentence in chunk.text
