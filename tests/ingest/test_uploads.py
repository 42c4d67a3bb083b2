"""Upload names, size limit and duplicates (ingest/uploads.py)."""

from pathlib import Path

import pytest

from citewise.ingest.uploads import MAX_UPLOAD_MB, UploadRejected, safe_filename, save_upload


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
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_saved_inside_the_folder(tmp_path: Path) -> None:
    saved = save_upload(tmp_path / "uploads", "../../../evil.md", b"# Evil\n")
    assert saved.path == tmp_path / "uploads" / "evil.md"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["evil.md"]


def test_same_bytes_under_another_name_are_not_copied(tmp_path: Path) -> None:
    first = save_upload(tmp_path, "a.md", b"# Same\n")
    again = save_upload(tmp_path, "a.md", b"# Same\n")
    renamed = save_upload(tmp_path, "b.md", b"# Same\n")
    assert again == first and renamed.path == first.path and renamed.duplicate_of == first.path
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_a_new_version_replaces_the_upload_of_the_same_name(tmp_path: Path) -> None:
    save_upload(tmp_path, "a.md", b"# One\n")
    saved = save_upload(tmp_path, "a.md", b"# Two\n")
    assert saved.path.read_bytes() == b"# Two\n" and saved.duplicate_of is None


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ", "cannot read '.exe' files"),
        ("README", b"text", "cannot read 'no extension' files"),
        ("empty.md", b"", "empty.md is empty"),
        ("big.txt", b"x" * (MAX_UPLOAD_MB * 1_000_000 + 1), f"the limit is {MAX_UPLOAD_MB} MB a file"),
    ],
)
def test_rejected_uploads_say_why(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(UploadRejected, match=message):
        save_upload(tmp_path, name, data)
    assert not any(tmp_path.iterdir())
