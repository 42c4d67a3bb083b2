"""Status: which model answers and why, what Ollama has, the retrieval settings, the index."""

import pandas as pd
import streamlit as st

from citewise.ui.render import list_html, markdown_literal, notice_html, text_html
from citewise.ui.state import service

SETTINGS = {
    "llm": "which backend answers: auto (Ollama if it has the model, else embedded), embedded, ollama or openai",
    "top_k": "passages retrieved per question (k)",
    "candidates": "candidates each ranking (dense, keyword) contributes before fusion",
    "rrf_k": "reciprocal rank fusion constant",
    "dense_weight": "weight of the dense ranking in the fusion (keyword's is 1)",
    "min_relevance": "below this similarity (and min_keyword_score) nothing is relevant: refuse without the model",
    "min_keyword_score": "below this BM25 score (and min_relevance) nothing is relevant",
    "support_threshold": "an answer sentence needs this support score to keep its citation",
    "evidence_chars": "characters of evidence the model reads: the best sentences of all retrieved passages",
    "evidence_passages": "hybrid+verifier@v1's evidence: top passages the model reads a window of",
    "evidence_window_chars": "hybrid+verifier@v1's evidence: characters of each passage's window",
    "chunk_size": "characters per passage",
    "chunk_overlap": "characters shared by neighbouring passages",
    "context_tokens": "the answer model's context window",
    "answer_tokens": "longest answer, in tokens",
    "threads": "CPU threads of the embedded model",
    "embedding_model": "sentence embedding model of the index",
    "ollama_host": "Ollama server (OLLAMA_HOST works too)",
    "ollama_model": "model asked on Ollama",
    "openai_base_url": "an OpenAI-compatible server (vLLM, llama-server) for CITEWISE_LLM=openai",
    "openai_model": "model asked on the OpenAI-compatible server",
    "openai_api_key": "its API key, if it wants one (shown masked)",
    "model_path": "GGUF for the embedded backend (empty: the packaged embedded_model)",
    "embedded_model": "packaged Qwen model of the embedded backend (1.5B; 0.5B is faster, see evals/RESULTS.md)",
    "data_dir": "index, uploads, eval runs and the assembled model",
    "chroma_url": "a Chroma server instead of the embedded store (empty: embedded)",
    "collection": "Chroma collection name",
}

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
            f"store: {store}",
            f"data directory: {settings.data_dir} (CITEWISE_DATA_DIR)",
            f"uploads: {status.uploads_dir}",
            f"eval runs: {status.eval_runs_dir}",
        ]
    )
)

st.subheader("Settings")
st.caption("Set with environment variables before `citewise ui`, e.g. CITEWISE_TOP_K=8.")
# Every field of the settings object, the explained ones first, so a new setting shows up here by itself.
order = {name: i for i, name in enumerate(SETTINGS)}
fields = {name: field for name, field in type(settings).model_fields.items() if not field.exclude}
rows = []
for name in sorted(fields, key=lambda n: order.get(n, len(order))):
    value = getattr(settings, name)
    rows.append(
        {
            "setting": f"CITEWISE_{name.upper()}",
            "value": "" if value is None else markdown_literal(str(value)),  # table cells are read as Markdown
            "meaning": SETTINGS.get(name, ""),
        }
    )
st.table(pd.DataFrame(rows).set_index("setting"))
