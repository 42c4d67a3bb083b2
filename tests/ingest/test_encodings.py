"""Text files that are not plain UTF-8 are read, not rejected."""

from citewise.ingest.loaders import load_file


def test_latin1_text_is_decoded(tmp_path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes("café crème brûlée is a dessert served in a French restaurant.\n".encode("latin-1"))
    assert "crème brûlée" in load_file(path).text


def test_byte_order_mark_does_not_hide_front_matter(tmp_path) -> None:
    path = tmp_path / "note.md"
    path.write_bytes("\ufeff---\ntitle: Marked Note\n---\n# Heading\n\nBody text here.\n".encode())
    loaded = load_file(path)
    assert loaded.title == "Marked Note"
    assert "title:" not in loaded.text
