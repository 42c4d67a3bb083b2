"""Status: which model answers and why, what Ollama has, the retrieval settings, the index."""

import pandas as pd
import streamlit as st

from citewise.core.settings_table import setting_rows
from citewise.ui.render import list_html, markdown_literal, notice_html, text_html
from citewise.ui.state import service

citewise = service()
status = citewise.status()
settings = status.settings
st.title("Status")

# Model names, reasons and paths come from settings, files and the Ollama server: shown as text, not Markdown.
st.subheader("Who answers")
if status.backend:
    st.html(notice_html("success", f"{status.backend.backend} · {status.backend.model}"))
    st.html(text_html(f"Why: {status.backend.reason}.", "cw-caption"))
else:
    st.html(
        notice_html(
            "error",
            f"No model can answer: {status.backend_problem}. Start Ollama, or set CITEWISE_LLM=auto to fall back "
            "to the embedded model.",
        )
    )
if status.remote_notice:
    st.html(notice_html("warning", status.remote_notice[:1].upper() + status.remote_notice[1:]))

st.subheader("Ollama")
probe = status.ollama
if probe.reachable:
    st.html(text_html(f"{probe.reason}."))
    if probe.models:
        st.html(text_html("Models on this server:"))
        configured = " (the configured model)"
        st.html(list_html([m + (configured if m == settings.ollama_model else "") for m in probe.models]))
else:
    st.html(
        notice_html(
            "info",
            f"{probe.reason}. Optional: citewise answers with its embedded model without Ollama; with "
            f"Ollama running and `ollama pull {settings.ollama_model}` done, it answers faster.",
        )
    )

st.subheader("Index")
store = f"Chroma server at {settings.chroma_url}" if settings.chroma_url else f"Chroma in {settings.chroma_dir}"
st.html(
    list_html(
        [
            f"{status.documents} documents, {status.chunks} passages (chunks)",
            f"knowledge base: {status.kb}",
            f"store: {store}, collection {settings.collection}",
            f"data directory: {settings.data_dir} (CITEWISE_DATA_DIR)",
            f"uploads: {status.uploads_dir}",
            f"eval runs: {status.eval_runs_dir}",
        ]
    )
)

st.subheader("Settings")
st.caption("Set with environment variables before `citewise ui`, e.g. CITEWISE_TOP_K=8.")
# Every field of the settings object, in README's table's order (core/settings_table.py): a new setting shows up
# here by itself.
rows = [
    {
        "setting": " / ".join(row.variables),
        "value": "" if getattr(settings, row.name) is None else markdown_literal(str(getattr(settings, row.name))),
        "default": row.default,
        "meaning": row.meaning,
    }
    for row in setting_rows()
]
st.table(pd.DataFrame(rows).set_index("setting"))
