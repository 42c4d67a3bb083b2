"""citewise: answers from your own documents, every sentence cited to the passage that supports it.

The package's parts live in the repository's top-level folders, each with one job (README, Layout):
`citewise.core`, `citewise.ingest`, `citewise.retrieval`, `citewise.answer`, `citewise.evals`, and
the surfaces `citewise.cli` and `citewise.ui`; `citewise.service` is the facade the surfaces call.
"""
