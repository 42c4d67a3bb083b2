"""Evals: run configurations over a dataset, compare their metrics, drill into single questions."""

import tempfile
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from citewise.answer.citations import strip_markers
from citewise.answer.llm.base import BackendUnavailable
from citewise.evals.configs import COMPARED, CONFIGS, DEFAULT_CONFIG, resolve
from citewise.evals.dataset import DEV_SET, DatasetError, EvalItem, load_dataset
from citewise.evals.metrics import NOT_CHARTED, contains, describe, item_right
from citewise.evals.runner import format_metric
from citewise.evals.runs import EvalRun
from citewise.ui.render import highlighted_passage_html, markdown_literal, notice_html, text_html, unsupported_html
from citewise.ui.state import service
from citewise.ui.views.eval_review import review

SECONDS_PER_ANSWER = 10  # the embedded model on a laptop CPU; shown as an estimate only


def _dataset() -> tuple[str, list[EvalItem]] | None:
    choice = st.radio(
        "Dataset",
        [
            "The dev set (questions about the sample articles)",
            "Upload a JSONL file",
            "Review a generated set (a file on this machine)",
        ],
        horizontal=True,
    )
    if choice.startswith("The dev set"):
        return DEV_SET.name, load_dataset(DEV_SET)
    if choice.startswith("Review"):
        return _generated()
    upload = st.file_uploader("JSONL, one object a line: id, question, answers, evidence, answerable", type=["jsonl"])
    if upload is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dataset.jsonl"
        path.write_bytes(upload.getvalue())
        try:
            items = load_dataset(path)
        except DatasetError as exc:
            st.html(notice_html("error", f"Not a valid dataset: {str(exc).replace(str(path), upload.name)}"))
            return None
        except UnicodeDecodeError:
            st.html(notice_html("error", f"{upload.name} is not UTF-8 text."))
            return None
    if not items:
        st.html(notice_html("error", f"{upload.name} has no questions."))
        return None
    return upload.name, items


def _generated() -> tuple[str, list[EvalItem]] | None:
    """A file `citewise eval generate` wrote: reviewed here, and its kept items run below."""
    typed = st.text_input(
        "Generated file", placeholder="/path/to/my.jsonl", help="Written by `citewise eval generate --out FILE`."
    )
    if not typed.strip():
        return None
    path = Path(typed.strip()).expanduser()
    if review(path) is None:
        return None
    items = load_dataset(path)
    if not items:
        st.info("Nothing is kept yet: keep or edit items above, then run the evaluation on them.")
        return None
    return path.name, items


def _offer_sample_articles() -> None:
    st.warning(
        "The dev set asks about the four sample articles, and they are not indexed: most answers would be refusals.",
        icon=":material/warning:",
    )
    if st.button("Index the sample articles", icon=":material/library_add:"):
        with st.spinner("Indexing the sample articles…"):
            service().index_sample_articles()
        st.rerun()


def _run(name: str, items: list[EvalItem], configs: list[str], retrieval_only: bool) -> EvalRun | None:
    bar = st.progress(0.0, text="Preparing the configurations (the first run loads the model)…")

    def progress(done: int, total: int, label: str) -> None:
        bar.progress(done / total, text=f"{done} of {total}: {markdown_literal(label)}")  # names a question id

    try:
        run = service().evaluate(name, items, configs, retrieval_only=retrieval_only, progress=progress)
    except BackendUnavailable as exc:
        why = f"No model can answer: {exc}. Tick 'Retrieval only' to score retrieval without it."
        st.html(notice_html("error", why))
        return None
    bar.empty()
    return run


def _metrics_table(columns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    metrics = list(dict.fromkeys(m for values in columns.values() for m in values))
    table = pd.DataFrame(
        {name: [format_metric(m, values.get(m)) for m in metrics] for name, values in columns.items()}, index=metrics
    )
    table.insert(len(table.columns), "meaning", [describe(m) for m in metrics])
    return table


def _charts(summary: dict[str, dict[str, Any]]) -> None:
    metrics = [
        m
        for m in dict.fromkeys(m for values in summary.values() for m in values)
        if m not in NOT_CHARTED and any(isinstance(v.get(m), int | float) for v in summary.values())
    ]
    for start in range(0, len(metrics), 3):
        for column, metric in zip(st.columns(3), metrics[start : start + 3], strict=False):
            data = pd.DataFrame({"config": list(summary), "value": [summary[c].get(metric) for c in summary]})
            chart = (
                alt.Chart(data)
                .mark_bar()
                .encode(
                    x=alt.X("value:Q", title=None),
                    y=alt.Y("config:N", sort=None, title=None),  # the table's order, not alphabetical
                    tooltip=["config", "value"],
                )
                .properties(height=36 * len(summary))
            )
            with column:
                st.markdown(f"**{metric}**", help=describe(metric))
                st.altair_chart(chart, width="stretch")


def _line(reason: str, verdict: str = "", right: bool = False) -> str:
    """One check as HTML: the verdict in green or red, then the reason (it quotes the dataset: escaped)."""
    head = f'<span class="cw-{"good" if right else "bad"}">{verdict}</span>: ' if verdict else ""
    return f"<div>{head}{escape(reason)}</div>"


def _verdict(result: dict[str, Any], gold: dict[str, Any], answered: bool) -> list[str]:
    """Why the item counted as right or wrong, one HTML line per check."""
    m = result.get("metrics", {})
    lines = []
    if result.get("error"):
        lines.append(_line(str(result["error"]), "The run failed"))
    if m.get("hit") is not None:
        if m["hit"]:
            rank = round(1 / m["reciprocal_rank"]) if m.get("reciprocal_rank") else "?"
            found = f"the evidence is in passage {rank}; {m['evidence_recall']:.0%} of the expected evidence was found."
            lines.append(_line(found, "Retrieval right", right=True))
        else:
            lines.append(_line("no retrieved passage contains the expected evidence.", "Retrieval wrong"))
    if not answered:
        return lines
    answer = result.get("answer") or ""
    if not gold.get("answerable", True):
        if m.get("refused"):
            lines.append(_line("refused; the documents don't answer this question.", "Right", right=True))
        else:
            lines.append(_line("answered a question the documents don't answer.", "Wrong"))
        return lines
    if m.get("refused"):
        lines.append(_line("refused, though the documents answer it.", "Wrong"))
    elif m.get("correct"):
        found = next((g for g in gold.get("answers", []) if contains(strip_markers(answer), g)), "")
        lines.append(_line(f"the answer contains the expected “{found}”.", "Right", right=True))
    else:
        expected = ", ".join(f"“{g}”" for g in gold.get("answers", []))
        lines.append(_line(f"the answer contains none of the expected answers ({expected}).", "Wrong"))
    if m.get("citations"):
        lines.append(
            _line(
                f"Citations: {m.get('supported_citations') or 0} of {m['citations']} point at a span "
                "holding the answer or its evidence."
            )
        )
    return lines


def _item_detail(run: EvalRun, row: dict[str, Any]) -> None:
    gold = run.gold.get(row["id"], {})
    st.html(text_html(row["question"], bold=True))
    if gold.get("answerable", row.get("answerable", True)):
        st.html(text_html("Expected: " + ", ".join(f"“{a}”" for a in gold.get("answers", [])), "cw-caption"))
    else:
        st.caption("Expected: a refusal (the documents don't answer this)")
    evidence = gold.get("evidence", [])
    main = row.get("config")
    names = sorted(row["configs"], key=lambda name: name != main)  # the main configuration's tab first
    for tab, name in zip(st.tabs([markdown_literal(n) for n in names]), names, strict=True):
        result = row["configs"][name]
        with tab:
            for line in _verdict(result, gold, not run.retrieval_only):
                st.html(line)
            if not run.retrieval_only:
                answer = result.get("answer") or ""
                st.html(notice_html("warning" if result.get("refused") else "info", answer or "(no answer)"))
                if result.get("unsupported"):
                    st.html(unsupported_html(result["unsupported"]))
                for c in result.get("citations", []):
                    st.html(f'<div><span class="cw-ref">[{escape(str(c["n"]))}]</span> “{escape(c["quote"])}”</div>')
            st.markdown("**Retrieved passages**")
            if name == main:
                texts = [hit["text"] for hit in row.get("retrieved", [])]
            else:
                ids = result.get("retrieved", [])
                found = service().get_chunks(ids)
                texts = [found[i].text for i in ids if i in found]
                if len(texts) < len(ids):
                    st.caption(
                        f"{len(ids) - len(texts)} of its {len(ids)} passages are not in the citewise index "
                        f"(the {markdown_literal(name)} configuration splits documents its own way); their text "
                        f"is kept for {markdown_literal(str(main))} only."
                    )
            for rank, text in enumerate(texts, start=1):
                st.html(f"<b>{rank}.</b> " + highlighted_passage_html(text, evidence))


def _show_run(run: EvalRun) -> None:
    st.subheader("Metrics, side by side")
    st.table(_metrics_table(run.summary))
    _charts(run.summary)
    st.subheader("Question by question")
    main = DEFAULT_CONFIG if DEFAULT_CONFIG in run.configs else run.configs[0]
    rows = {row["id"]: row for row in run.items}

    def label(item_id: str) -> str:
        row = rows[item_id]
        m = row["configs"].get(main, {}).get("metrics", {})
        ok = item_right(m, row.get("answerable", True), run.retrieval_only)
        return f"{'right' if ok else 'WRONG'} · {item_id}: {row['question']}"

    chosen = st.selectbox(f"Question (right or wrong under {markdown_literal(main)})", list(rows), format_func=label)
    if chosen:
        _item_detail(run, rows[chosen])


def _compare(runs: list[EvalRun]) -> None:
    st.subheader("Compare past runs")
    by_id = {run.id: run for run in runs}
    chosen = st.multiselect(
        "Runs",
        list(by_id),
        default=list(by_id)[:2],
        format_func=lambda i: by_id[i].label,
        help="Every run is kept under " + markdown_literal(str(service().eval_runs_dir)),
    )
    if not chosen:
        return
    columns = {
        f"{by_id[i].created[5:16].replace('T', ' ')} {config}": values
        for i in chosen
        for config, values in by_id[i].summary.items()
    }
    st.table(_metrics_table(columns))


st.title("Evals")
st.caption(
    "How well citewise finds, answers and cites, measured on questions with known answers; configurations side by side."
)
picked = _dataset()
if picked is not None:
    dataset_name, items = picked
    if dataset_name == DEV_SET.name and not service().sample_articles_indexed():
        _offer_sample_articles()
    configs = st.multiselect(
        "Configurations",
        list(CONFIGS),
        default=resolve(COMPARED),
        help="\n".join(f"- **{name}**: {text}" for name, text in CONFIGS.items()),
    )
    left, right = st.columns(2)
    retrieval_only = left.toggle(
        "Retrieval only", value=True, help="Score the retrieved passages only: seconds, no model."
    )
    count = right.number_input("Questions", min_value=1, max_value=len(items), value=len(items))
    if retrieval_only:
        st.caption(f"{count} questions × {len(configs)} configurations, retrieval only: under a minute.")
    else:
        minutes = count * len(configs) * SECONDS_PER_ANSWER / 60
        st.caption(
            f"{count} questions × {len(configs)} configurations with the model: about {minutes:.0f} minutes "
            "on a laptop CPU. Stay on this page while it runs."
        )
    if st.button("Run evaluation", type="primary", icon=":material/play_arrow:", disabled=not configs):
        _run(dataset_name, items[: int(count)], configs, retrieval_only)

saved = service().runs()
for problem in saved.damaged:
    st.html(notice_html("warning", f"A kept eval run cannot be read and is left out: {problem}"))
past = saved.runs
if past:
    st.divider()
    by_id = {run.id: run for run in past}
    shown = st.selectbox("Run", list(by_id), format_func=lambda i: by_id[i].label, help="Newest first.")
    _show_run(by_id[shown])
    if len(past) > 1:
        _compare(past)
else:
    st.info("No runs yet: pick a dataset and configurations above and press **Run evaluation**.")
