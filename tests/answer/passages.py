"""Evidence made from bare texts, for the verifier's and the evidence selection's tests."""

from citewise.core.types import Chunk, Evidence, ScoredChunk


def passages_of(*texts: str) -> list[Evidence]:
    """Each text as numbered evidence, read whole, from a document of its own."""
    passages = []
    for n, text in enumerate(texts, start=1):
        chunk = Chunk(f"c{n}", f"/docs/{n}.md", f"Doc {n}", "", text, 0, len(text), "h", 0)
        passages.append(Evidence(n, ScoredChunk(chunk, n, 1.0 / n), 0, len(text), 20))
    return passages
