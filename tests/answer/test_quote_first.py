"""Quote-first answering: the grammar-held reply parsed, verified against the sentences it names, and the
schema sent in each backend's own wire form (fake Ollama and OpenAI servers; the real embedded model, slow)."""

import dataclasses
import json
from pathlib import Path

import pytest

from citewise.answer.answerer import Answerer
from citewise.answer.llm.base import BackendUnavailable, Message
from citewise.answer.llm.embedded import load_embedded
from citewise.answer.llm.ollama import OllamaGenerator
from citewise.answer.llm.openai_compatible import OpenAIGenerator
from citewise.answer.prompt import NOT_FOUND
from citewise.answer.quote_first import (
    NamedSentenceVerifier,
    build_quote_first_messages,
    number_sentences,
    parse_reply,
    reply_schema,
)
from citewise.core.types import Answer, Token, VerifiedSentence
from citewise.evals.configs import V1
from citewise.ingest.pipeline import ingest_paths
from citewise.service import Citewise
from tests.answer.passages import passages_of
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import DEFAULT_MODEL, FakeOpenAIServer

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
THRESHOLD = 0.55
GPT = "GPT-1 was released in 2018. It had 117 million parameters. GPT-2 followed in 2019 with 1.5 billion."
RLHF = "RLHF trains a reward model from human preference rankings. The policy is then optimized with PPO."
IDS = ("1.1", "1.2", "1.3", "2.1", "2.2")
QUESTION = [Message("system", "Reply with JSON."), Message("user", "Capital of France?")]
SCHEMA = reply_schema(["1.1", "1.2"])


@pytest.mark.parametrize(
    ("reply", "ids", "answer", "unknown", "refuses"),
    [
        ('{"sentences": ["1.2"], "answer": "GPT-1 had 117 million parameters."}', ("1.2",), "GPT-1 had", (), False),
        ('{"sentences": ["1.2", "1.2", "2.1"], "answer": "A."}', ("1.2", "2.1"), "A.", (), False),
        ('```json\n{"sentences": ["1.1"], "answer": "It came out in 2018."}\n```', ("1.1",), "It came", (), False),
        ('{"sentences": [], "answer": "The documents don\'t say."}', (), "The documents", (), True),
        ('{"sentences": ["1.2"], "answer": ""}', ("1.2",), "", (), True),
        ('{"sentences": ["9.9", "1.3"], "answer": "GPT-2 had 1.5 billion."}', ("1.3",), "GPT-2", ("9.9",), False),
        ('{"sentences": ["9.9"], "answer": "Made up."}', (), "Made up.", ("9.9",), True),
        ('{"sentences": ["[1.2]"], "answer": "Bracketed ids are read too."}', ("1.2",), "Bracketed", (), False),
        # Cut off by the token limit: closed and kept, the verifier judges what is there.
        ('{"sentences": ["1.2"], "answer": "GPT-1 had 117 million parameters. It', ("1.2",), "GPT-1", (), False),
        ('{"sentences": ["1.2", "1', ("1.2",), "", ("1",), True),
    ],
)
def test_a_well_formed_or_cut_off_reply_is_parsed(reply, ids, answer, unknown, refuses) -> None:
    parsed = parse_reply(reply, IDS)
    assert (parsed.ids, parsed.unknown_ids, parsed.refuses, parsed.problem) == (ids, unknown, refuses, "")
    assert parsed.answer.startswith(answer)


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("GPT-1 had 117 million parameters.", "no JSON object"),
        ('{"sentences": ["1.2"] "answer": "x"}', "not a JSON object"),
        ('{"sentences": "1.2", "answer": "x"}', "must be a list"),
        ('{"sentences": ["1.2"], "answer": 117}', "must be a list"),
        ("", "no JSON object"),
    ],
)
def test_a_malformed_reply_is_a_refusal_that_says_why(reply, problem) -> None:
    parsed = parse_reply(reply, IDS)
    assert parsed.refuses and problem in parsed.problem


def test_the_evidence_is_numbered_one_sentence_a_line_and_the_schema_allows_only_those_ids() -> None:
    passages = passages_of(GPT, RLHF)
    sentences = number_sentences(passages)
    assert [s.id for s in sentences] == list(IDS)
    assert all(passages[s.passage].hit.chunk.text[slice(*s.span)] == s.text for s in sentences)
    user = build_quote_first_messages("How many parameters?", passages, sentences)[1].content
    assert "[1.2] It had 117 million parameters.\n[1.3] GPT-2" in user and "[2.1] RLHF trains" in user
    schema = reply_schema([s.id for s in sentences])
    assert list(schema["properties"]) == ["sentences", "answer"]  # the ids are written first
    assert schema["properties"]["sentences"]["items"]["enum"] == list(IDS)


def test_a_sentence_is_verified_and_cited_against_the_named_sentences_only(embed) -> None:
    passages = passages_of(GPT, RLHF)
    sentences = {s.id: s for s in number_sentences(passages)}

    named = NamedSentenceVerifier(passages, [sentences["1.2"]], embed, THRESHOLD)
    verdict = named.check("GPT-1 had 117 million parameters.")
    assert verdict is not None and verdict.citation is not None
    assert verdict.citation.text[slice(*verdict.citation.span)] == "It had 117 million parameters."

    # True, and in the evidence, but not in the sentence the model said it used: dropped.
    wrong = NamedSentenceVerifier(passages, [sentences["2.1"]], embed, THRESHOLD)
    verdict = wrong.check("GPT-1 had 117 million parameters.")
    assert verdict is not None and verdict.citation is None and wrong.result().refused


def test_two_named_neighbours_support_a_sentence_that_joins_them(embed) -> None:
    passages = passages_of(GPT)
    sentences = {s.id: s for s in number_sentences(passages)}
    verifier = NamedSentenceVerifier(passages, [sentences["1.1"], sentences["1.2"]], embed, THRESHOLD)
    verdict = verifier.check("GPT-1 was released in 2018 and had 117 million parameters.")
    assert verdict is not None and verdict.citation is not None
    assert verdict.citation.text[slice(*verdict.citation.span)] == GPT[: GPT.index(" GPT-2")]


def test_ollama_gets_the_schema_as_its_format_object(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_reply('{"sentences": ["1.2"], "answer": "Paris."}')
    generator = OllamaGenerator(fake_ollama.url, "qwen2.5:1.5b-instruct", context_tokens=2048)

    reply = "".join(generator.stream(QUESTION, max_tokens=64, schema=SCHEMA))
    plain = "".join(generator.stream(QUESTION, max_tokens=64))

    assert parse_reply(reply, ["1.2"]).ids == ("1.2",) and plain == reply
    constrained, free = fake_ollama.bodies("/api/chat")
    assert constrained["format"] == SCHEMA and constrained["stream"] is True
    assert "format" not in free or free["format"] in (None, "")


def test_the_fake_ollama_refuses_a_format_ollama_would_refuse(fake_ollama: FakeOllama) -> None:
    generator = OllamaGenerator(fake_ollama.url, "qwen2.5:1.5b-instruct", context_tokens=2048)
    with pytest.raises(BackendUnavailable, match="invalid format"):
        list(generator.stream(QUESTION, max_tokens=64, schema={"properties": {}}))


def test_an_openai_compatible_server_gets_the_schema_as_a_json_schema_response_format() -> None:
    with FakeOpenAIServer() as server:
        server.reply = '{"sentences": ["1.1"], "answer": "Paris."}'
        generator = OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096)
        pieces = list(generator.stream(QUESTION, max_tokens=64, schema=SCHEMA))
        list(generator.stream(QUESTION, max_tokens=64))

    assert len(pieces) > 1 and parse_reply("".join(pieces), ["1.1"]).ids == ("1.1",)  # still streamed
    constrained, free = server.bodies
    assert constrained["response_format"] == {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    assert constrained["stream"] is True and constrained["max_tokens"] == 64
    assert "response_format" not in free


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedding_model, make_settings) -> Citewise:
    data = tmp_path_factory.mktemp("quote-first")
    service = Citewise(make_settings(data / "index"))
    assert not ingest_paths(service.store, [CORPUS]).failed
    return service


def _quote_first(service: Citewise, generator) -> Answerer:
    return Answerer(service.retriever, generator, service.settings, dataclasses.replace(V1, quote_first=True))


def test_the_pipeline_answers_with_the_named_sentences_cited(service, fake_ollama: FakeOllama) -> None:
    def reply(messages: list[dict]) -> str:
        user = messages[-1]["content"]
        line = next(line for line in user.splitlines() if "117 million" in line and line.startswith("["))
        return json.dumps({"sentences": [line[1 : line.index("]")]], "answer": "GPT-1 had 117 million parameters."})

    fake_ollama.set_responder(reply)
    answerer = _quote_first(service, OllamaGenerator(fake_ollama.url, "qwen2.5:1.5b-instruct", 2048))
    events = list(answerer.stream("How many parameters did GPT-1 have?"))

    answer = events[-1]
    assert isinstance(answer, Answer) and not answer.refused, answer.draft
    assert answer.answer == "GPT-1 had 117 million parameters. [1]"
    [citation] = answer.citations
    assert "117 million" in citation.text[slice(*citation.span)]
    assert [type(e) for e in events[1:-1]] == [Token, VerifiedSentence]  # the answer, then its verdict
    [chat] = fake_ollama.bodies("/api/chat")
    assert chat["format"]["properties"]["sentences"]["items"]["enum"]


@pytest.mark.parametrize(
    "reply",
    ['{"sentences": [], "answer": "GPT-1 had 117 million parameters."}', "GPT-1 had 117 million parameters."],
)
def test_naming_no_sentence_or_breaking_the_format_refuses(service, fake_ollama: FakeOllama, reply) -> None:
    fake_ollama.set_reply(reply)
    answerer = _quote_first(service, OllamaGenerator(fake_ollama.url, "qwen2.5:1.5b-instruct", 2048))
    answer = answerer.ask("How many parameters did GPT-1 have?")
    assert answer.refused and answer.answer == NOT_FOUND and not answer.citations


@pytest.mark.slow
def test_the_embedded_model_replies_in_the_schema_and_its_answer_is_cited(service) -> None:
    answer = _quote_first(service, load_embedded(service.settings)).ask("How many parameters did GPT-1 have?")
    ids = [s.id for s in number_sentences(answer.evidence.passages)]
    reply = parse_reply(answer.draft, ids)
    assert not reply.problem and not reply.unknown_ids and reply.ids, answer.draft
    assert json.loads(answer.draft)  # the grammar held it to JSON, whole
    assert not answer.refused and "117 million" in answer.answer, answer.draft
    named_spans = {s.span for s in number_sentences(answer.evidence.passages) if s.id in reply.ids}
    assert all(c.span in named_spans or _joins(c.span, named_spans) for c in answer.citations)


def _joins(span: tuple[int, int], named: set[tuple[int, int]]) -> bool:
    return any(a[0] == span[0] for a in named) and any(b[1] == span[1] for b in named)
