"""`citewise serve`: an HTTP API (OpenAI-compatible chat, search, documents, status) over the `Citewise` facade."""
