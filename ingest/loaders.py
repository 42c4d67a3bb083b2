"""Turn one file into plain (Markdown-flavoured) text and a title, with the document libraries' own parsers.

A file is read once (`read_file`) and its bytes parsed once; the limits in `Limits` hold throughout. Every
failure is a `LoadError` whose message says what is wrong with the file and what to do.
"""

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from citewise.ingest.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from pypdf import PdfReader

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)
_DETECT_BYTES = 1024 * 1024
# How a kind of file is read, where that changed after documents were indexed: part of each document's content
# hash, so the next ingest or sync indexes such a document again instead of keeping it as "unchanged".
_READINGS = {".html": "unwrapped", ".htm": "unwrapped"}


class LoadError(Exception):
    """A file that cannot be indexed; the message is the reason, for the user."""


@dataclass(frozen=True)
class LoadedText:
    title: str
    text: str


def unsupported_reason(path: Path) -> str:
    return f"unsupported file type '{path.suffix.lower() or path.name}' (supported: {', '.join(SUPPORTED_SUFFIXES)})"


def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes, by one open; a file over the size limit is refused before it is read."""
    try:
        with path.open("rb") as handle:
            if reason := limits.file_too_big(os.fstat(handle.fileno()).st_size):
                raise LoadError(reason)
            data = handle.read(limits.file_bytes + 1)  # the file may have grown since
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}") from exc
    if reason := limits.file_too_big(len(data)):
        raise LoadError(reason)
    return data


def reading_of(path: Path) -> str:
    """How files of this kind are read now ("" where that never changed), for `content_hash`."""
    return _READINGS.get(path.suffix.lower(), "")


def load_file(path: Path, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS) -> LoadedText:
    """The title and extracted text of a supported file; `data`: its bytes, when already read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(unsupported_reason(path))
    if data is None:
        data = read_file(path, limits)
    elif reason := limits.file_too_big(len(data)):
        raise LoadError(reason)
    if not data:
        raise LoadError("the file is empty")

    loader = {".pdf": _load_pdf, ".docx": _load_docx, ".html": _load_html, ".htm": _load_html}.get(suffix, _load_text)
    title, text = loader(data, limits)
    text = _normalize(text)
    if not text.strip():
        hint = " (a scanned PDF? run OCR on it first)" if suffix == ".pdf" else ""
        raise LoadError(f"no text could be extracted{hint}")
    return LoadedText(title=(title or _first_heading(text) or path.stem).strip(), text=text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"


def _first_heading(text: str) -> str | None:
    match = _MD_TITLE.search(text)
    return match.group(1) if match else None


def _decode(data: bytes) -> str:
    """UTF-8, else the encodings chardet finds, most likely first (what LangChain's TextLoader does with
    autodetect_encoding, from the bytes already read; chardet, pure Python, looks at the first MB only)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    import chardet

    for guess in chardet.detect_all(data[:_DETECT_BYTES]):
        if guess["encoding"]:
            try:
                return data.decode(guess["encoding"])
            except (UnicodeDecodeError, LookupError):
                continue
    raise LoadError("cannot decode the text (not UTF-8, and no other encoding fits)")


def _load_text(data: bytes, limits: Limits) -> tuple[str | None, str]:
    text = _decode(data).removeprefix("\ufeff")  # a UTF-8 byte-order mark would hide front matter
    if "\x00" in text:
        raise LoadError("binary content in a text file")
    title = None
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
        meta = dict(line.split(":", 1) for line in front.group(1).splitlines() if ":" in line)
        title = meta.get("title", "").strip().strip("\"'") or None
    return title, text


def _load_html(data: bytes, limits: Limits) -> tuple[str | None, str]:
    """The page as Markdown-flavoured text by html2text (what LangChain's Html2TextTransformer calls), with its
    line wrapping off: wrapped at 78 columns, every sentence longer than a line was cut into fragments, and the
    sentence splitter, the evidence and the verifier's spans saw those fragments ("... turned off by default
    (for"). LangChain's transformer cannot turn the wrapping off."""
    import html2text
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    converter = html2text.HTML2Text()
    converter.ignore_links = converter.ignore_images = True
    converter.body_width = 0  # one line per paragraph, as the page has it
    return title, converter.handle(str(soup))


def _load_pdf(data: bytes, limits: Limits) -> tuple[str | None, str]:
    """One pypdf reader gives the encryption, the page count, the title and each page's text (the same
    plain extraction LangChain's PyPDFLoader asks pypdf for)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("the PDF is encrypted (password-protected); save an unencrypted copy and add that")
        # The page count the document declares costs nothing and refuses an honest page bomb at once; the
        # pages counted (which means walking the whole page tree) settle it.
        if reason := limits.too_many_pages(_declared_pages(reader)) or limits.too_many_pages(len(reader.pages)):
            raise LoadError(reason)
        title = (reader.metadata.title if reader.metadata else None) or None
        pages = [page.extract_text(extraction_mode="plain").strip() for page in reader.pages]
    except PdfReadError as exc:
        raise LoadError(f"not a readable PDF ({exc})") from exc
    return title, "\n\n".join(page for page in pages if page)


def _declared_pages(reader: "PdfReader") -> int:
    try:
        return int(reader.root_object["/Pages"]["/Count"])  # type: ignore[index,call-overload]
    except Exception:  # missing or malformed: the pages counted decide
        return 0


def _load_docx(data: bytes, limits: Limits) -> tuple[str | None, str]:
    """docx2txt (what LangChain's Docx2txtLoader calls) on the bytes, once the zip is known to inflate to
    no more than the limit."""
    import docx2txt

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError(
            "not a valid .docx file (encrypted, or not a Word document); save an unprotected .docx and add that"
        )
    try:
        reason = limits.unzipped_too_big(data, ".docx")
    except Exception as exc:
        raise LoadError(f"cannot read the Word document ({exc})") from exc
    if reason:
        raise LoadError(reason)
    try:
        return None, docx2txt.process(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(f"cannot read the Word document ({exc})") from exc
