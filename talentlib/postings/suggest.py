"""Suggestions for the taxonomy's curators (``talent taxonomy suggest``): the unmapped
open-vocabulary mentions of many postings ranked by postings and fields, with masked example
lines, a guessed kind and a proposed code (named by the LLM where one is configured)."""

from __future__ import annotations

__all__ = ["suggest", "suggest_from_files", "write_suggestions"]

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from talentlib import taxonomy
from talentlib.postings.lexicon import HANGUL
from talentlib.postings.mentions import (
    MENTION_SECTIONS,
    MENTIONS_VERSION,
    MentionExtractor,
    mention_key,
    mention_section,
)

# --------------------------------------------------------------------------------------------
# Suggestions for the taxonomy (talent taxonomy suggest)
# --------------------------------------------------------------------------------------------

_KIND_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("certificate", re.compile(r"(기사|산업기사|기능사|기술사|자격증?|인증|certified|certificate|"
                               r"license|면허|CFA|ADsP|CKA|OPIc|TOEIC)$", re.I)),
    ("language", re.compile(r"^(영어|일본어|중국어|독일어|불어|스페인어|english|japanese|chinese)", re.I)),
    ("method", re.compile(r"(설계|분석|해석|평가|시험|측정|공정|검증|제어|합성|최적화|모델링|시뮬레이션|"
                          r"관리|처리|프로그래밍|개발|design|analysis|testing|modeling|validation)$",
                          re.I)),
)  # fmt: skip


def _kind_guess(norm: str) -> str:
    for kind, pat in _KIND_RULES:
        if pat.search(norm):
            return kind
    if not HANGUL.search(norm) and len(norm.split()) <= 2:
        return "tool"
    return "knowledge"


@dataclass
class _Agg:
    postings: set[str]
    fields: Counter[str]
    examples: list[str]
    surfaces: Counter[str]


def suggest(
    posting_lines: Iterable[tuple[str, str | None, str, str]],
    *,
    min_postings: int = 1,
    top: int | None = 200,
    neighbour_cutoff: float = 80.0,
    llm: Any = None,
    extractor: MentionExtractor | None = None,
) -> list[dict[str, Any]]:
    """Ranked suggestions from unmapped mentions.

    ``posting_lines``: (posting_id, field_code or None, section, line) for the body lines of
    postings (masked text). Unmapped mentions are ranked by the number of postings, then of
    fields; each gets up to three masked example lines and a proposal: ``add_synonym`` to an
    existing code when a surface form is a fuzzy neighbour (rapidfuzz ≥ ``neighbour_cutoff``),
    else ``new_code`` with a field (the only field it was seen in, else common scope) and a
    kind guessed by rules — or named by ``llm`` (a postings.llm backend) when one is given."""
    from rapidfuzz import fuzz

    from talentlib.pii import mask_pii
    from talentlib.postings.lexicon import lexicon

    ext = extractor or MentionExtractor()
    agg: dict[str, _Agg] = {}
    rows = list(posting_lines)
    by_pid: dict[str, list[int]] = {}
    for i, (pid, _f, _s, _l) in enumerate(rows):
        by_pid.setdefault(pid, []).append(i)
    for pid, idx in by_pid.items():
        lines = [rows[i][3] for i in idx]
        fields = [rows[i][1] for i in idx]
        sections = [rows[i][2] for i in idx]
        for i, (line, ms) in enumerate(
            zip(lines, ext.transform(lines, fields=fields), strict=True)
        ):
            if mention_section(sections[i], line) is None:
                continue
            for m in ms:
                if m.code is not None:
                    continue
                a = agg.setdefault(m.norm, _Agg(set(), Counter(), [], Counter()))
                if pid not in a.postings and fields[i]:
                    a.fields[str(fields[i])] += 1
                a.postings.add(pid)
                a.surfaces[m.text] += 1
                ex = mask_pii(line.strip())
                if len(a.examples) < 3 and ex not in a.examples:
                    a.examples.append(ex[:200])
    ranked = sorted(
        ((n, a) for n, a in agg.items() if len(a.postings) >= min_postings),
        key=lambda na: (-len(na[1].postings), -len(na[1].fields), na[0]),
    )
    if top is not None:
        ranked = ranked[:top]
    lex = lexicon(ext.taxonomy_name)
    out: list[dict[str, Any]] = []
    for norm, a in ranked:
        key = mention_key(norm)
        best_code, best_score = None, 0.0
        if len(key) >= 3:
            for k in lex.shortlist(key, 0.3):
                s = fuzz.ratio(key, lex.keys[k])
                if s > best_score:
                    best_code, best_score = lex.key_code[k], s
        fields = sorted(a.fields, key=lambda f: (-a.fields[f], f))
        entry: dict[str, Any] = {
            "norm": norm,
            "postings": len(a.postings),
            "fields": fields,
            "field_postings": {f: a.fields[f] for f in fields},
            "surface_forms": [s for s, _ in a.surfaces.most_common(5)],
            "examples": a.examples,
        }
        if best_code is not None and best_score >= neighbour_cutoff:
            entry["proposal"] = "add_synonym"
            entry["code"] = best_code
            entry["similarity"] = round(best_score, 1)
            entry["synonym"] = a.surfaces.most_common(1)[0][0]
        else:
            kind = _kind_guess(norm)
            one_field = fields[0] if len(fields) == 1 else None
            entry["proposal"] = "new_code"
            entry["entry"] = {
                "code": _proposed_code(norm, one_field),
                "ko": a.surfaces.most_common(1)[0][0] if HANGUL.search(norm) else norm,
                "en": None if HANGUL.search(norm) else a.surfaces.most_common(1)[0][0],
                "scope": "field" if one_field else "common",
                "field_code": one_field,
                "group": None,
                "kind": kind,
                "synonyms": [s for s, _ in a.surfaces.most_common(5)][1:],
                "ncs": None,
            }
            if best_code is not None and best_score >= 60:
                entry["nearest_code"] = best_code
        out.append(entry)
    if llm is not None:
        _llm_names(out, llm)
    return out


def suggest_from_files(
    sources: Sequence[str | Path],
    *,
    llm: Any = None,
    cache_dir: str | Path | None = None,
    min_postings: int = 1,
    top: int | None = 200,
    quiet: bool = True,
) -> list[dict[str, Any]]:
    """``suggest`` over posting files or folders: read (masked) with postings.ingest_folder, cut
    into sections, body lines only. A posting's field comes from a ``labels.jsonl`` or a
    ``job_postings.parquet`` index beside the files, when there is one."""
    import polars as pl

    from talentlib.postings.ingest import ingest_folder
    from talentlib.postings.sections import segment

    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
        files.append(p)
    res = ingest_folder(files if len(files) > 1 else files[0], cache_dir=cache_dir, quiet=quiet)
    if res.postings.height == 0:
        return []
    fields = _fields_near(files)
    seg = segment(res.postings.select("posting_id", "text"))
    body = seg.filter(pl.col("section").is_in(list(MENTION_SECTIONS)))
    rows = [
        (pid, fields.get(pid), sec, text)
        for pid, sec, text in body.select("posting_id", "section", "text").iter_rows()
    ]
    return suggest(rows, llm=llm, min_postings=min_postings, top=top)


def _fields_near(paths: Sequence[Path]) -> dict[str, str]:
    """Posting id (file stem) → field code, from labels.jsonl or postings/job_postings.parquet
    in the given folders or beside the given files."""
    import polars as pl

    out: dict[str, str] = {}
    folders = {p if p.is_dir() else p.parent for p in paths}
    for d in sorted(folders):
        for cand in (d, d / "postings"):
            lab = cand / "labels.jsonl"
            if lab.exists():
                for line in lab.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        r = json.loads(line)
                        if r.get("field_code") and r.get("file"):
                            out[Path(str(r["file"])).stem] = str(r["field_code"])
            idx = cand / "job_postings.parquet"
            if idx.exists():
                df = pl.read_parquet(idx)
                if {"file_path", "field_code"} <= set(df.columns):
                    for fp, f in df.select("file_path", "field_code").iter_rows():
                        if fp and f:
                            out[Path(str(fp)).stem] = str(f)
    return out


def _proposed_code(norm: str, field: str | None) -> str:
    stem = re.sub(r"[^A-Z0-9]", "", unicodedata.normalize("NFKC", norm).upper())[:8]
    if not stem:
        stem = "X" + hashlib.sha1(norm.encode()).hexdigest()[:5].upper()
    return f"{field or 'C'}-{stem}"


_LLM_PROMPT = (
    '채용공고에서 나온 역량 표현입니다: "{norm}" (예: {example}).\n'
    "이 역량의 한국어 이름, 영어 이름, 종류(tool, method, knowledge, certificate, soft, language 중 "
    "하나)를 '한국어 | English | kind' 한 줄로 답하세요.\n답:"
)
_KINDS = ("tool", "method", "knowledge", "certificate", "soft", "language")


def _llm_names(entries: list[dict[str, Any]], llm: Any) -> None:
    """Ask the backend for a name and kind of each new code; a reply that does not parse, or
    a failing backend, leaves the rule-based guess."""
    for e in entries:
        if e.get("proposal") != "new_code":
            continue
        prompt = _LLM_PROMPT.format(norm=e["norm"], example=(e["examples"] or [""])[0][:120])
        try:
            reply = str(llm.complete(prompt, max_new_tokens=40)).strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - the LLM only names; it never stops the suggestions
            continue
        parts = [p.strip() for p in reply.split("|")]
        if len(parts) != 3 or parts[2].lower() not in _KINDS or not parts[0]:
            continue
        e["entry"]["ko"], e["entry"]["en"], e["entry"]["kind"] = (
            parts[0],
            parts[1] or None,
            (parts[2].lower()),
        )
        e["named_by"] = str(getattr(llm, "name", "llm"))


def write_suggestions(entries: list[dict[str, Any]], out: str | Path, *,
                      taxonomy_version: str | None = None) -> Path:  # fmt: skip
    """Write suggestions as YAML (default) or CSV (``.csv``) atomically; the YAML holds the
    proposed competencies.yaml rows a curator can paste (``new_codes``) and the synonyms to add
    (``new_synonyms``), with counts and masked examples."""
    from talentlib import io

    out = Path(out)
    if out.suffix.lower() == ".csv":
        import polars as pl

        rows = [
            {
                "norm": e["norm"],
                "postings": e["postings"],
                "fields": " ".join(e["fields"]),
                "proposal": e["proposal"],
                "code": e.get("code") or e.get("entry", {}).get("code"),
                "kind": e.get("entry", {}).get("kind"),
                "similarity": e.get("similarity"),
                "surface_forms": " | ".join(e["surface_forms"]),
                "examples": " | ".join(e["examples"]),
            }
            for e in entries
        ]
        schema = {"norm": pl.String, "postings": pl.Int64, "fields": pl.String,
                  "proposal": pl.String, "code": pl.String, "kind": pl.String,
                  "similarity": pl.Float64, "surface_forms": pl.String, "examples": pl.String}  # fmt: skip
        return io.write_text_atomic(pl.DataFrame(rows, schema=schema).write_csv(), out)
    doc = {
        "name": "competency_suggestions",
        "taxonomy": "competencies",
        "taxonomy_version": taxonomy_version or taxonomy.version("competencies"),
        "mentions_version": MENTIONS_VERSION,
        "note": "Unmapped competency mentions ranked by postings and fields. Review each item; "
        "accepted new_codes rows go under `codes:` in data_contracts/taxonomy/competencies.yaml "
        "(fill group, check code and names), accepted new_synonyms go into the code's synonyms.",
        "new_synonyms": [
            {
                k: e[k]
                for k in ("code", "synonym", "norm", "similarity", "postings", "fields", "examples")
            }  # fmt: skip
            for e in entries
            if e["proposal"] == "add_synonym"
        ],
        "new_codes": [
            {
                **e["entry"],
                "evidence": {
                    k: e[k]
                    for k in ("postings", "fields", "field_postings", "surface_forms", "examples")
                },
            }
            | ({"nearest_code": e["nearest_code"]} if e.get("nearest_code") else {})
            | ({"named_by": e["named_by"]} if e.get("named_by") else {})
            for e in entries
            if e["proposal"] == "new_code"
        ],
    }
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    return io.write_text_atomic(text, out)
