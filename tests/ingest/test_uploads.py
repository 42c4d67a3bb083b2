"""Upload names, size limit, duplicates, collisions, symlinks and permissions (ingest/uploads.py)."""

import stat
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.ingest.uploads import UploadRejected, put_in_place, safe_filename, save_upload, settle
from citewise.service import Citewise

NAME_BYTES = 120  # the stored name's limit in UTF-8 bytes, extension included
LIMIT_MB = 1


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Users\\me\\report.PDF", "report.pdf"),
        ("..", "upload"),
        (".hidden.md", "hidden.md"),
        ("my report (final)?.docx", "my report _final_.docx"),
        ("大模型.md", "大模型.md"),
        ("a\x00b.md", "a_b.md"),
        ("x" * 300 + ".txt", "x" * 116 + ".txt"),
        ("模" * 120 + ".md", "模" * 39 + ".md"),  # 3 bytes a character: 39 * 3 + 3 = 120 bytes
        ("é" * 100 + ".pdf", "é" * 58 + ".pdf"),  # 2 bytes a character, never cut in half
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe
    assert len(safe_filename(name).encode()) <= NAME_BYTES


def test_saved_inside_the_folder(tmp_path: Path) -> None:
    saved = save_upload(tmp_path / "uploads", "../../../evil.md", b"# Evil\n")
    assert saved.path == tmp_path / "uploads" / "evil.md"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith(".")] == ["evil.md"]


def test_a_name_of_many_multibyte_characters_is_stored(tmp_path: Path) -> None:
    name = "大型语言模型" * 20 + ".md"  # 120 characters, 363 bytes: over the usual 255-byte limit

    saved = save_upload(tmp_path, name, b"# Models\n")

    assert saved.path.read_bytes() == b"# Models\n"
    assert saved.path.suffix == ".md" and len(saved.path.name.encode()) <= NAME_BYTES


def test_same_bytes_under_another_name_are_not_copied(tmp_path: Path) -> None:
    first = save_upload(tmp_path, "a.md", b"# Same\n")
    again = save_upload(tmp_path, "a.md", b"# Same\n")
    renamed = save_upload(tmp_path, "b.md", b"# Same\n")
    assert again == first and renamed.path == first.path and renamed.duplicate_of == first.path
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["a.md"]


def test_a_new_version_replaces_the_upload_of_the_same_name(tmp_path: Path) -> None:
    save_upload(tmp_path, "a.md", b"# One\n")
    saved = save_upload(tmp_path, "a.md", b"# Two\n")
    assert saved.path.read_bytes() == b"# One\n" and saved.duplicate_of is None  # written beside it first
    assert saved.staged is not None and saved.staged.read_bytes() == b"# Two\n"

    settle(saved, put_in_place(saved), indexed=True)

    assert saved.path.read_bytes() == b"# Two\n"
    assert [p.name for p in tmp_path.iterdir() if p.name != ".upload-names.json"] == ["a.md"]


def test_a_new_version_that_is_not_indexed_puts_the_earlier_one_back(tmp_path: Path) -> None:
    save_upload(tmp_path, "a.md", b"# One\n")
    saved = save_upload(tmp_path, "a.md", b"# Two\n")

    settle(saved, put_in_place(saved), indexed=False)

    assert saved.path.read_bytes() == b"# One\n"
    assert [p.name for p in tmp_path.iterdir() if p.name != ".upload-names.json"] == ["a.md"]


def test_a_broken_new_version_leaves_the_good_copy_and_its_index(
    tmp_path: Path, make_settings, embedding_model: str
) -> None:
    service = Citewise(make_settings(tmp_path / "data"))
    good = b"# Pump notes\n\nThe pump is primed with warm water before the first start.\n"
    broken = b"# Pump notes\n\nThe pump runs dry.\x00\x00\x00\n"
    better = b"# Pump notes\n\nThe pump is primed with cold water, never warm.\n"
    first = service.add_uploads([("notes.md", good)]).files[0]
    assert first.status == "added"
    stored = Path(first.source or "")

    failed = service.add_uploads([("notes.md", broken)]).files[0]

    assert failed.status == "failed" and "binary content" in (failed.error or "")
    assert failed.source == first.source  # the earlier version is still the document
    assert stored.read_bytes() == good  # its bytes too
    assert "warm water" in service.search("How is the pump primed?").hits[0].chunk.text
    assert [p.name for p in service.uploads_dir.iterdir() if p.name != ".upload-names.json"] == ["notes.md"]

    replaced = service.add_uploads([("notes.md", better)]).files[0]

    assert replaced.status == "updated" and replaced.source == first.source
    assert stored.read_bytes() == better
    assert "cold water" in service.search("How is the pump primed?").hits[0].chunk.text
    assert [p.name for p in service.uploads_dir.iterdir() if p.name != ".upload-names.json"] == ["notes.md"]


@pytest.mark.parametrize(
    ("first", "second", "second_stored"),
    [
        ("Report.pdf", "Report.PDF", "Report (2).pdf"),
        ("a?b.md", "a*b.md", "a_b (2).md"),
        ("x" * 200 + "1.txt", "x" * 200 + "2.txt", "x" * 112 + " (2).txt"),  # same after the cut, still short
    ],
)
def test_names_that_collide_are_stored_apart(tmp_path: Path, first: str, second: str, second_stored: str) -> None:
    one = save_upload(tmp_path, first, b"first document\n")
    two = save_upload(tmp_path, second, b"second document\n")

    assert two.path.name == second_stored and len(two.path.name.encode()) <= NAME_BYTES
    assert one.path.read_bytes() == b"first document\n"  # not replaced
    assert two.path.read_bytes() == b"second document\n"
    newer = save_upload(tmp_path, second, b"second document, edited\n")  # a new version of the second upload
    settle(newer, put_in_place(newer), indexed=True)
    assert newer.path == two.path and newer.path.read_bytes() == b"second document, edited\n"
    assert one.path.read_bytes() == b"first document\n"


def test_an_upload_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"# Not citewise's file\n")
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "notes.md").symlink_to(outside)
    (folder / "dangling.md").symlink_to(tmp_path / "created-elsewhere.md")

    saved = save_upload(folder, "notes.md", b"# Notes\n")
    other = save_upload(folder, "dangling.md", b"# Other\n")

    assert outside.read_bytes() == b"# Not citewise's file\n"
    assert not (tmp_path / "created-elsewhere.md").exists()
    for result, data in ((saved, b"# Notes\n"), (other, b"# Other\n")):
        assert not result.path.is_symlink() and result.path.parent == folder
        assert result.path.read_bytes() == data


def test_stored_uploads_are_private(tmp_path: Path) -> None:
    saved = save_upload(tmp_path / "uploads", "notes.md", b"# Notes\n")
    renamed = save_upload(tmp_path / "uploads", "Notes.MD", b"# Other notes\n")
    replaced = save_upload(tmp_path / "uploads", "notes.md", b"# Notes, edited\n")

    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    settle(replaced, put_in_place(replaced), indexed=True)

    for result in (saved, renamed, replaced):
        assert stat.S_IMODE(result.path.stat().st_mode) == 0o600, result.path.name


def test_the_data_folder_is_private(tmp_path: Path, make_settings, embedding_model: str) -> None:
    settings: Settings = make_settings(tmp_path / "data")

    report = Citewise(settings).add_uploads([("notes.md", b"# Notes\n\nThe pump is primed with water.\n")])

    assert report.ingest is not None and report.ingest.added == 1
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "uploads").stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "uploads" / "notes.md").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ", "cannot read '.exe' files"),
        ("README", b"text", "cannot read 'no extension' files"),
        ("empty.md", b"", "empty.md is empty"),
        (
            "big.txt",
            b"x" * (LIMIT_MB * 1024 * 1024 + 1),
            f"big.txt is 1.0 MB; the limit is {LIMIT_MB} MB a file.*CITEWISE_MAX_FILE_MB higher where citewise runs",
        ),
    ],
)
def test_rejected_uploads_say_why(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(UploadRejected, match=message):
        save_upload(tmp_path, name, data, max_mb=LIMIT_MB)
    assert not any(tmp_path.iterdir())
