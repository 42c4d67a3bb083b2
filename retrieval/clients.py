"""Chroma clients: one per Chroma server, and one per embedded folder per process, which can be reopened."""

import threading
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from citewise.retrieval.errors import StoreError


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)


def server_client(url_text: str) -> chromadb.ClientAPI:
    url = urlparse(url_text)
    if not url.hostname:
        raise StoreError(f"CITEWISE_CHROMA_URL={url_text!r} is not a URL like http://host:8000")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=_chroma_settings(),
        )
    except Exception as exc:
        raise StoreError(
            f"Cannot reach the Chroma server at {url_text}: {exc}. "
            "Start it (`chroma run --path DIR --port PORT`) or unset CITEWISE_CHROMA_URL."
        ) from exc


class EmbeddedClient:
    """The process's one client on an embedded Chroma folder, shared by every Store on it. Chroma keeps one
    System per folder per process, so a reopen only reads the files afresh once every client on it is closed."""

    _by_path: ClassVar[dict[Path, "EmbeddedClient"]] = {}
    _by_path_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.client: chromadb.ClientAPI | None = None
        self.generation = 0  # bumped by each (re)open; a Store re-gets its collections when it changed
        self.stamp: str | None = None  # the published view's version when the files were last read
        self.lock = threading.RLock()  # no thread uses the client while another reopens it

    @classmethod
    def of(cls, path: Path) -> "EmbeddedClient":
        with cls._by_path_lock:
            return cls._by_path.setdefault(path.resolve(), cls(path.resolve()))

    def reopen(self) -> None:
        """Close the client and open a new one, which reads the files as they are now (hold the load lock)."""
        with self.lock:
            if self.client is not None:
                self.client.close()
            self.path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(self.path), settings=_chroma_settings())
            self.generation += 1
