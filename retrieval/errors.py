"""What the index raises when it cannot be opened or written; each message says what to do."""


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class EmbeddingModelMismatch(StoreError):
    """The index was built with another embedding model than the configured one."""


class IndexBusy(StoreError):
    """Another process held the index's lock for longer than CITEWISE_LOCK_TIMEOUT."""


class IndexReopened(StoreError):
    """The collections a read used were dropped and made anew meanwhile (`citewise ingest --rebuild` in another
    process); the read is to be done again on the new published view."""
