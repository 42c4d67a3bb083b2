"""Evals: run configurations over a dataset, compare their metrics, drill into single questions."""

import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path

import pandas as pd
import streamlit as st

from citewise.service import (
    CONFIGS,
    DECIDING,
    DECIDING_WITHOUT_ANSWERS,
    DEV_SET,
    FAILURES,
    BackendUnavailable,
    Check,
    Citewise,
    ConfigSummary,
    DatasetError,
    EvalItem,
    EvalRun,
    ItemResult,
    describe,
    format_metric,
    item_right,
    verdict_checks,
)
from citewise.ui.render import highlighted_passage_html, markdown_literal, notice_html, text_html, unsupported_html
from citewise.ui.state import service
from citewise.ui.views.eval_review import review

SECONDS_PER_ANSWER = 10  # the embedded model on a laptop CPU; shown as an estimate only
LOSSES_HELP = (
    "Each answerable question answered wrong, counted at the first stage that lost it: retrieval (the evidence "
    "was not retrieved), selection (retrieved, but not in what the model read), model (read, but the draft "
    "lacks the answer), verifier (the draft had it, and verification dropped it)."
)


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
        return DEV_SET.name, Citewise.eval_set(DEV_SET).items
    if choice.startswith("Review"):
        return _generated()
    upload = st.file_uploader("JSONL, one object a line: id, question, answers, evidence, answerable", type=["jsonl"])
    if upload is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dataset.jsonl"
        path.write_bytes(upload.getvalue())
        try:
            items = Citewise.eval_set(path).items
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
    items = Citewise.eval_set(path).items
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


def _metrics_table(columns: Sequence[ConfigSummary]) -> pd.DataFrame:
    metrics = list(dict.fromkeys(m for column in columns for m in column.metrics))
    table = pd.DataFrame({c.name: [format_metric(m, c.value(m)) for m in metrics] for c in columns}, index=metrics)
    table.insert(len(table.columns), "meaning", [describe(m) for m in metrics])
    return table


def _numbers(summary: Sequence[ConfigSummary], metric: str) -> list[float | None]:
    """Each configuration's value of `metric`, None where it has none."""
    return [float(v) if isinstance(v := config.value(metric), int | float) else None for config in summary]


def _bar(metric: str, values: list[float | None]) -> st.column_config.ProgressColumn:
    """A cell-sized bar on the metric's own scale: a share from 0 to 1, seconds from 0 to the slowest."""
    seconds = metric == "seconds_per_question"
    most = max(v for v in values if v is not None) if seconds else 1.0
    label, fmt = metric.replace("_", " "), "%.2f" if seconds else "%.3f"
    return st.column_config.ProgressColumn(
        label, help=describe(metric), format=fmt, min_value=0.0, max_value=most or 1.0
    )


def _deciding_chart(summary: Sequence[ConfigSummary]) -> None:
    """The few metrics a configuration is picked by, in one table-chart: a row per configuration, a bar per
    metric."""
    answered = any(config.value("answer_accuracy") is not None for config in summary)
    values = {m: _numbers(summary, m) for m in (DECIDING if answered else DECIDING_WITHOUT_ANSWERS)}
    columns = {m: v for m, v in values.items() if any(x is not None for x in v)}
    if columns:
        table = pd.DataFrame(columns, index=pd.Index([c.name for c in summary], name="configuration"))
        st.dataframe(table, width="stretch", column_config={m: _bar(m, v) for m, v in columns.items()})


def _losses_chart(summary: Sequence[ConfigSummary]) -> None:
    """Where each configuration lost its wrong answers: one stacked bar per configuration, the stages in
    pipeline order (numbered, so the legend and the stack keep that order)."""
    if not any(config.value(f"lost_at_{stage}") is not None for config in summary for stage in FAILURES):
        return
    lost = {
        f"{n} {stage}": [config.value(f"lost_at_{stage}") or 0 for config in summary]
        for n, stage in enumerate(FAILURES, start=1)
    }
    st.markdown("**Where answers were lost**", help=LOSSES_HELP)
    st.bar_chart(
        pd.DataFrame(lost, index=pd.Index([c.name for c in summary], name="configuration")),
        horizontal=True,
        stack=True,
        sort=False,  # the table's order, not alphabetical
        x_label="configuration",
        y_label="answerable questions answered wrong, by the first stage that lost the answer",
    )


def _line(check: Check) -> str:
    """One check as HTML: the verdict in green or red, then the reason (it quotes the dataset: escaped)."""
    head = f'<span class="cw-{"good" if check.right else "bad"}">{check.verdict}</span>: ' if check.verdict else ""
    return f"<div>{head}{escape(check.reason)}</div>"


def _item_detail(run: EvalRun, item: ItemResult) -> None:
    gold = run.gold_for(item)
    st.html(text_html(item.question, bold=True))
    if gold.answerable:
        st.html(text_html("Expected: " + ", ".join(f"“{a}”" for a in gold.answers), "cw-caption"))
    else:
        st.caption("Expected: a refusal (the documents don't answer this)")
    main = item.config
    names = sorted(item.configs, key=lambda name: name != main)  # the main configuration's tab first
    for tab, name in zip(st.tabs([markdown_literal(n) for n in names]), names, strict=True):
        result = item.configs[name]
        with tab:
            for check in verdict_checks(result, gold, not run.retrieval_only):
                st.html(_line(check))
            if not run.retrieval_only:
                answer = result.answer or ""
                st.html(notice_html("warning" if result.refused else "info", answer or "(no answer)"))
                if result.unsupported:
                    st.html(unsupported_html(list(result.unsupported)))
                for c in result.citations:
                    st.html(f'<div><span class="cw-ref">[{escape(str(c.n))}]</span> “{escape(c.quote)}”</div>')
            st.markdown("**Retrieved passages**")
            if name == main:
                texts = item.passages
            else:
                ids = list(result.retrieved)
                found = service().get_chunks(ids)
                texts = [found[i].text for i in ids if i in found]
                if len(texts) < len(ids):
                    st.caption(
                        f"{len(ids) - len(texts)} of its {len(ids)} passages are not in the citewise index "
                        f"(the {markdown_literal(name)} configuration splits documents its own way); their text "
                        f"is kept for {markdown_literal(str(main))} only."
                    )
            for rank, text in enumerate(texts, start=1):
                st.html(f"<b>{rank}.</b> " + highlighted_passage_html(text, list(gold.evidence)))


def _show_run(run: EvalRun) -> None:
    st.subheader("Metrics, side by side")
    _deciding_chart(run.summary)
    _losses_chart(run.summary)
    with st.expander("Every metric"):
        st.table(_metrics_table(run.summary))
    st.subheader("Question by question")
    main = run.main_config
    items = {item.id: item for item in run.items}

    def label(item_id: str) -> str:
        item = items[item_id]
        result = item.configs.get(main)
        ok = result is not None and item_right(result, run.retrieval_only)
        return f"{'right' if ok else 'WRONG'} · {item_id}: {item.question}"

    chosen = st.selectbox(f"Question (right or wrong under {markdown_literal(main)})", list(items), format_func=label)
    if chosen:
        _item_detail(run, items[chosen])


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
    columns = [
        ConfigSummary(f"{by_id[i].created[5:16].replace('T', ' ')} {config.name}", config.metrics)
        for i in chosen
        for config in by_id[i].summary
    ]
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
        default=Citewise.eval_configs(),
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
