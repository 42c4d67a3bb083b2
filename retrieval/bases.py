"""Knowledge bases: named sets of documents in one data folder, each one Chroma collection and one keyword index.

The registry, `bases.json` in the data folder, lists the bases made with `citewise kb create`; each gets a fixed
id when it is made, and its collection, keyword index, uploads, synced folders and eval runs are named by that id,
so a rename changes one line of the registry and nothing else. The `default` base is not listed: it is the index
a data folder held before bases existed (the collection `CITEWISE_COLLECTION`, uploads and eval runs in the data
folder itself), so an old data folder opens as `default` with nothing re-embedded.

The registry is written under the data folder's write lock (retrieval/locks.py), to a temporary file swapped in
whole: a reader sees the old list or the new one.
"""

import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from citewise.core.base_names import DEFAULT_BASE, check_base_name
from citewise.core.settings import Settings
from citewise.retrieval.errors import StoreError
from citewise.retrieval.locks import IndexLocks

REGISTRY = "bases.json"


class BaseError(StoreError):
    """A knowledge base cannot be made, renamed or deleted as asked; the message names it and why."""


class BaseNotFound(BaseError):
    """No knowledge base has the name asked for."""


@dataclass(frozen=True)
class KnowledgeBase:
    """One named set of documents; `id` is empty for `default`, the data folder's own index."""

    name: str
    id: str = ""
    created_at: str = ""

    @property
    def is_default(self) -> bool:
        return not self.id

    def collection(self, settings: Settings) -> str:
        """Its Chroma collection (its keyword index and synced folders are named after it too)."""
        return settings.collection if self.is_default else f"{settings.collection}-kb-{self.id}"

    def folder(self, settings: Settings) -> Path:
        """Where its uploads and eval runs are kept."""
        return settings.data_dir if self.is_default else settings.data_dir / "bases" / self.id

    def settings(self, settings: Settings) -> Settings:
        """`settings` pointed at this base's collection."""
        return settings.model_copy(update={"collection": self.collection(settings), "kb": self.name})


def checked_name(name: str) -> str:
    """`name` when valid; BaseError with the rule otherwise."""
    try:
        return check_base_name(name)
    except ValueError as exc:
        raise BaseError(f"{exc}.") from None


class BaseRegistry:
    """The knowledge bases of one data folder."""

    def __init__(self, settings: Settings, locks: IndexLocks | None = None) -> None:
        self.settings = settings
        self.path = settings.data_dir / REGISTRY
        self.locks = locks or IndexLocks(settings.data_dir, settings.lock_timeout)

    def bases(self) -> list[KnowledgeBase]:
        """`default` first, then the others by name."""
        return [KnowledgeBase(DEFAULT_BASE), *sorted(self._made().values(), key=lambda b: b.name)]

    def get(self, name: str) -> KnowledgeBase:
        """The base named `name`; BaseNotFound naming it and what to do."""
        if name == DEFAULT_BASE:
            return KnowledgeBase(DEFAULT_BASE)
        base = self._made().get(name)
        if base is None:
            raise BaseNotFound(
                f"There is no knowledge base named {name!r}: `citewise kb list` lists them, "
                "`citewise kb create NAME` makes one."
            )
        return base

    def create(self, name: str) -> KnowledgeBase:
        checked_name(name)
        with self.locks.writing(f"kb create {name}"):
            made = self._made()
            if name == DEFAULT_BASE or name in made:
                raise BaseError(f"A knowledge base named {name!r} exists already: choose another name.")
            base = KnowledgeBase(name, uuid.uuid4().hex[:12], datetime.now(UTC).isoformat(timespec="seconds"))
            self._save({**made, name: base})
        return base

    def rename(self, name: str, new_name: str) -> KnowledgeBase:
        checked_name(new_name)
        self._not_default(name, "renamed")
        with self.locks.writing(f"kb rename {name}"):
            made = self._made()
            base = made.pop(name, None) or self.get(name)
            if new_name == DEFAULT_BASE or new_name in made:
                raise BaseError(f"A knowledge base named {new_name!r} exists already: choose another name.")
            renamed = KnowledgeBase(new_name, base.id, base.created_at)
            self._save({**made, new_name: renamed})
        return renamed

    def forget(self, name: str) -> KnowledgeBase:
        """Take `name` off the list (its data is the caller's to delete, under the same write lock)."""
        self._not_default(name, "deleted")
        with self.locks.writing(f"kb delete {name}"):
            made = self._made()
            base = made.pop(name, None) or self.get(name)
            self._save(made)
        return base

    def _not_default(self, name: str, done: str) -> None:
        if name == DEFAULT_BASE:
            raise BaseError(
                f"The {DEFAULT_BASE!r} knowledge base cannot be {done}: it is the one commands use without --kb. "
                "`citewise remove` drops its documents one by one."
            )

    def _made(self) -> dict[str, KnowledgeBase]:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise BaseError(
                f"The knowledge base list {self.path} cannot be read ({exc}); restore or delete it."
            ) from exc
        try:
            return {entry["name"]: KnowledgeBase(**entry) for entry in saved["bases"]}
        except (KeyError, TypeError) as exc:
            raise BaseError(f"The knowledge base list {self.path} is damaged ({exc}); restore or delete it.") from exc

    def _save(self, bases: dict[str, KnowledgeBase]) -> None:
        saved = {"bases": [asdict(b) for b in sorted(bases.values(), key=lambda b: b.name)]}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)
