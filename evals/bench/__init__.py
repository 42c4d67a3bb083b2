"""`citewise bench`: speed of ingest, search at 1k-100k chunks, adding a file, answers and start-up, in one
table beside the targets (issue 12). Figures only: no test asserts a time."""
