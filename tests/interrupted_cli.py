"""`citewise`, with one library call wrapped so a test can stop the process at an exact point.

    python tests/interrupted_cli.py --at POINT [--nth N] --do kill|pause|slow [--signals DIR] -- ARGS...

At the nth call of POINT the process SIGKILLs itself (a real crash: no cleanup, no finally), or pauses
until DIR/go exists (after creating DIR/paused), or, for `slow`, sleeps before every call (to make an
ingest last long enough for other processes to run beside it). Then it runs `citewise ARGS...`.
The points are calls into libraries or the index's own save, so nothing in the product has hooks for tests:

  embed         CitewiseEmbeddingFunction.matrix: embedding a batch of chunks
  record        Chroma upsert into the document registry (the `*_documents` collection)
  chunk_delete  Chroma delete on the chunk collection
  keyword_save  KeywordIndex.save, after it has written its files
"""

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAUSE_LIMIT_S = 120


def _act(args: argparse.Namespace) -> None:
    if args.do == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if args.do == "pause":
        signals = Path(args.signals)
        (signals / "paused").write_text(str(os.getpid()))
        deadline = time.monotonic() + PAUSE_LIMIT_S
        while not (signals / "go").exists():
            if time.monotonic() > deadline:
                sys.exit(f"interrupted_cli: nobody created {signals / 'go'} within {PAUSE_LIMIT_S} s")
            time.sleep(0.05)


def _wrap(owner: type, name: str, args: argparse.Namespace, applies: Callable[[Any], bool], after: bool) -> None:
    original = getattr(owner, name)
    calls = 0

    def wrapper(self: Any, *a: Any, **kw: Any) -> Any:
        nonlocal calls
        if not applies(self):
            return original(self, *a, **kw)
        calls += 1
        if args.do == "slow":
            time.sleep(args.seconds)
            return original(self, *a, **kw)
        if calls == args.nth and not after:
            _act(args)
        result = original(self, *a, **kw)
        if calls == args.nth and after:
            _act(args)
        return result

    setattr(owner, name, wrapper)


def _install(args: argparse.Namespace) -> None:
    if args.at == "embed":
        from citewise.retrieval.embeddings import CitewiseEmbeddingFunction

        _wrap(CitewiseEmbeddingFunction, "matrix", args, lambda _: True, after=False)
    elif args.at in ("record", "chunk_delete"):
        from chromadb.api.models.Collection import Collection

        if args.at == "record":
            _wrap(Collection, "upsert", args, lambda c: c.name.endswith("_documents"), after=False)
        else:
            _wrap(Collection, "delete", args, lambda c: not c.name.endswith("_documents"), after=False)
    elif args.at == "keyword_save":
        from citewise.retrieval.keyword import KeywordIndex

        _wrap(KeywordIndex, "save", args, lambda _: True, after=True)
    else:
        sys.exit(f"interrupted_cli: unknown point {args.at!r}")


def main() -> None:
    split = sys.argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--at", required=True)
    parser.add_argument("--nth", type=int, default=1)
    parser.add_argument("--do", choices=["kill", "pause", "slow"], required=True)
    parser.add_argument("--signals", default=".")
    parser.add_argument("--seconds", type=float, default=0.25)
    args = parser.parse_args(sys.argv[1:split])
    _install(args)
    from citewise.cli.main import main as citewise

    sys.argv = ["citewise", *sys.argv[split + 1 :]]
    citewise()


if __name__ == "__main__":
    main()
