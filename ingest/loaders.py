"""Turn one file into plain (Markdown-flavoured) text and a title, with LangChain's loaders.

Every failure is a `LoadError` whose message says what is wrong with the file and what to do.
"""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


class LoadError(Exception):
    """A file that cannot be indexed; the message is the reason, for the user."""


@dataclass(frozen=True)
class LoadedText:
    title: str
    text: str


def unsupported_reason(path: Path) -> str:
    return f"unsupported file type '{path.suffix.lower() or path.name}' (supported: {', '.join(SUPPORTED_SUFFIXES)})"


def load_file(path: Path) -> LoadedText:
    """The title and extracted text of a supported file."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type '{suffix or path.name}' (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.read(1)
    except PermissionError as exc:
        raise LoadError("cannot read the file: permission denied") from exc
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}") from exc
    if size == 0:
        raise LoadError("the file is empty")

    loader = {".pdf": _load_pdf, ".docx": _load_docx, ".html": _load_html, ".htm": _load_html}.get(suffix, _load_text)
    title, text = loader(path)
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


def _load_text(path: Path) -> tuple[str | None, str]:
    from langchain_community.document_loaders import TextLoader

    try:
        docs = TextLoader(str(path), autodetect_encoding=True).load()
    except Exception as exc:
        raise LoadError(f"cannot decode the text ({exc.__cause__ or exc})") from exc
    text = docs[0].page_content.removeprefix("\ufeff")  # a UTF-8 byte-order mark would hide front matter
    if "\x00" in text:
        raise LoadError("binary content in a text file")
    title = None
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
        meta = dict(line.split(":", 1) for line in front.group(1).splitlines() if ":" in line)
        title = meta.get("title", "").strip().strip("\"'") or None
    return title, text


def _load_html(path: Path) -> tuple[str | None, str]:
    from bs4 import BeautifulSoup
    from langchain_community.document_transformers import Html2TextTransformer

    raw = path.read_bytes()
    soup = BeautifulSoup(raw, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    [converted] = Html2TextTransformer(ignore_links=True, ignore_images=True).transform_documents(
        [Document(page_content=str(soup))]
    )
    return title, converted.page_content


def _load_pdf(path: Path) -> tuple[str | None, str]:
    from langchain_community.document_loaders import PyPDFLoader
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        encrypted = reader.is_encrypted
    except PdfReadError as exc:
        raise LoadError(f"not a readable PDF ({exc})") from exc
    if encrypted:
        raise LoadError("the PDF is encrypted (password-protected); save an unencrypted copy and add that")
    title = (reader.metadata.title if reader.metadata else None) or None
    pages = PyPDFLoader(str(path), mode="page").load()
    return title, "\n\n".join(page.page_content.strip() for page in pages if page.page_content.strip())


def _load_docx(path: Path) -> tuple[str | None, str]:
    import zipfile

    from langchain_community.document_loaders import Docx2txtLoader

    if not zipfile.is_zipfile(path):
        raise LoadError(
            "not a valid .docx file (encrypted, or not a Word document); save an unprotected .docx and add that"
        )
    try:
        docs = Docx2txtLoader(str(path)).load()
    except Exception as exc:
        raise LoadError(f"cannot read the Word document ({exc})") from exc
    return None, docs[0].page_content
