"""Real documents of every supported kind, good and bad, written into a test's folder."""

import ctypes
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfWriter

_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


class DocFactory:
    """Writes test documents under one folder and returns their paths."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def text(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return path

    def raw(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def pdf(self, name: str, pages: list[str], title: str | None = None) -> Path:
        pdf = FPDF()
        if title:
            pdf.set_title(title)
        pdf.set_font("Helvetica", size=12)
        for page in pages:
            pdf.add_page()
            pdf.multi_cell(0, 8, page)
        path = self.folder / name
        pdf.output(str(path))
        return path

    def scanned_pdf(self, name: str) -> Path:
        """A PDF whose only page is a drawing, like a scan before OCR: no text layer at all."""
        pdf = FPDF()
        pdf.add_page()
        pdf.rect(20, 20, 120, 80, style="F")
        pdf.ellipse(40, 120, 60, 40, style="D")
        path = self.folder / name
        pdf.output(str(path))
        return path

    def encrypted_pdf(self, name: str, pages: list[str]) -> Path:
        plain = self.pdf(f"{name}.plain.tmp", pages)
        writer = PdfWriter(clone_from=str(plain))
        writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
        path = self.folder / name
        with path.open("wb") as handle:
            writer.write(handle)
        plain.unlink()
        return path

    def docx(self, name: str, blocks: list[tuple[str, str]]) -> Path:
        """blocks: ("h1"/"h2"/"p", text), in order."""
        document = docx.Document()
        for kind, content in blocks:
            if kind == "p":
                document.add_paragraph(content)
            else:
                document.add_heading(content, level=int(kind[1]))
        path = self.folder / name
        document.save(str(path))
        return path

    def zip_bomb_docx(self, name: str, inflated_mb: int) -> Path:
        """A real Word document whose word/document.xml is padded with `inflated_mb` MiB of one repeated
        character (a space): kilobytes on disk, megabytes once inflated."""
        path = self.docx(name, [("p", "A short paragraph before a great deal of nothing.")])
        with zipfile.ZipFile(path) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        padding = b" " * (inflated_mb * 1024 * 1024)
        parts["word/document.xml"] = parts["word/document.xml"].replace(b"</w:body>", padding + b"</w:body>")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
            for part, data in parts.items():
                bomb.writestr(part, data)
        return path


@pytest.fixture
def docs(tmp_path: Path) -> DocFactory:
    return DocFactory(tmp_path / "docs")


@contextmanager
def unreadable(path: Path) -> Iterator[None]:
    """Make `path` unreadable to this thread, for real, even when the tests run as root.

    chmod 000 alone stops nobody with CAP_DAC_OVERRIDE (root in a container), so while the
    block runs the calling thread also gives up its permission-override capabilities.
    Capabilities are per thread on Linux and stay in the permitted set, so they come back
    afterwards; the index's own files belong to this user and stay readable meanwhile.
    """
    mode = path.stat().st_mode
    path.chmod(0)
    libc = ctypes.CDLL(None, use_errno=True)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    caps = (Data * 2)()
    dropped = False
    if os.geteuid() == 0:
        if libc.capget(ctypes.byref(Header(_LINUX_CAPABILITY_VERSION_3, 0)), caps) != 0:
            raise OSError(ctypes.get_errno(), "capget failed")
        saved = caps[0].effective
        caps[0].effective &= ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH))
        if libc.capset(ctypes.byref(Header(_LINUX_CAPABILITY_VERSION_3, 0)), caps) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
        dropped = True
    try:
        with pytest.raises(PermissionError):
            path.read_bytes()  # the premise of any test using this: the file really is unreadable
        yield
    finally:
        if dropped:
            caps[0].effective = saved
            libc.capset(ctypes.byref(Header(_LINUX_CAPABILITY_VERSION_3, 0)), caps)
        path.chmod(mode)


@pytest.fixture
def make_unreadable() -> Callable[[Path], AbstractContextManager[None]]:
    """`with make_unreadable(path): ...` — the file cannot be read inside the block."""
    return unreadable
