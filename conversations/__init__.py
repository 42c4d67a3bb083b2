"""Saved conversations: every question asked in the web UI or with `citewise ask`, its verified answer and the
passages it cited, kept in SQLite in the data folder (store.py), and exported as Markdown (export.py)."""
