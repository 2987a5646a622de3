"""The checker's reports and the command: ``check_release`` reads a run folder (and earlier
releases), audits it and writes ``check_report.json`` and the Korean ``check_report.md``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import io
from ..privacy import TOTAL
from .check import audit
from .release import load_release
from .verdict import AuditResult

REPORT_JSON = "check_report.json"
REPORT_MD = "check_report.md"

STATUS_KO = {"pass": "통과", "fail": "실패", "review": "검토"}


def _keys_text(keys: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={'합계' if v == TOTAL else v}" for k, v in keys.items()) or "(합계)"


def to_markdown(r: AuditResult) -> str:
    """The readable Korean report."""
    n = r.counts()
    p = (
        f"p = {r.protection}"
        if r.protection is not None
        else "p = max(3, ⌈0.3 × 최소 인원⌉) (최소 인원 5이면 3)"
    )
    lines = [
        "# 공개 묶음 점검 보고서 (차분·연립 역산)",
        "",
        "> 내부용: 이 보고서는 비공개 셀의 복원 가능한 값을 담고 있으므로 공개하지 마십시오.",
        "",
        f"- 실행 폴더: `{r.run_dir}`"
        + (f" · 이전 공개: {', '.join(f'`{x}`' for x in r.previous)}" if r.previous else ""),
        f"- 결과: **{STATUS_KO[r.status]}** · 표 {n['tables']}개 (실패 {n['tables_fail']}, 검토 {n['tables_review']})",
        f"- 비공개 셀 {n['cells_suppressed']}개 중 실패 {n['cells_fail']}개 (정확히 복원 {n['cells_fail_exact']}개), "
        f"검토 {n['cells_review']}개; 값이 정확히 복원되는 비공개 셀 전체 {n['cells_exact']}개",
        f"- 계산 시간 {r.seconds:.1f}초",
        "",
        "## 점검 방법",
        "",
        "공개된 모든 표를 함께 놓고, 같은 모집단을 세는 표끼리(같은 데이터·코호트·기준 시점) 합계가 같다는 "
        "연립방정식과 각 표의 합계 행을 세운 뒤, 비공개 셀마다 선형계획(HiGHS)으로 가능한 최솟값과 "
        "최댓값을 구했습니다(정수 조건 반영, 0은 공개되므로 비공개 셀은 1 이상).",
        "",
        f"**보호 규칙**: 하한 < 최소 인원 이고 (상한 − 하한) < p 이면 실패. {p}. "
        "하한이 최소 인원 이상인 셀(보완 비공개 셀)은 작은 값이 아니므로 통과로 봅니다.",
        "",
    ]
    if r.inconsistencies:
        lines += ["## 모순 (검토 필요)", ""] + [f"- {x}" for x in r.inconsistencies] + [""]
    fam = r.by_family()
    if fam:
        lines += [
            "## 표 종류별",
            "",
            "| 표 | 비공개 셀 | 실패 | 정확히 복원 | 검토 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, f in fam.items():
            lines.append(
                f"| {name} | {f.get('suppressed', 0)} | {f.get('fail', 0)} | {f.get('exact', 0)} | {f.get('review', 0)} |"
            )
        lines.append("")
    lines += ["## 표별 결과", "", "| 표 | 결과 | 요약 | 연결된 표 |", "|---|---|---|---:|"]
    for t in r.tables:
        lines.append(
            f"| {t.uid} | {STATUS_KO[t.status]} | {t.summary} | "
            f"{len(t.checks['differencing'].get('linked_tables', []))} |"
        )
    fails = [c for c in r.cells if c.verdict != "pass"]
    if fails:
        lines += [
            "",
            "## 실패·검토 셀",
            "",
            "| 표 | 셀 | 구간 | 추정값 | 판정 | 이유 |",
            "|---|---|---|---:|---|---|",
        ]
        for c in fails:
            iv = "?" if c.lower is None else f"[{c.lower}, {'∞' if c.upper is None else c.upper}]"
            lines.append(
                f"| {c.table} | {_keys_text(c.keys)} | {iv} | {'' if c.best_guess is None else c.best_guess} | "
                f"{STATUS_KO[c.verdict]} | {c.reason} |"
            )
    if r.skipped:
        lines += ["", "## 점검하지 않은 파일", ""] + [
            f"- `{s.file}`: {s.reason}" for s in r.skipped
        ]
    notes = [(t.uid, x) for t in r.tables for x in t.notes]
    if notes:
        lines += ["", "## 참고", ""] + [f"- {u}: {x}" for u, x in notes]
    return "\n".join(lines) + "\n"


def check_release(
    run_dir: str | Path,
    *,
    previous: Sequence[str | Path] = (),
    protection: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    exact: bool = True,
) -> AuditResult:
    """Audit a run folder (with earlier releases as extra constraints) and write
    check_report.json and check_report.md into ``out`` (default RUN_DIR/check/); ``exact`` as
    in ``audit``."""
    run_dir = Path(run_dir)
    tables, skipped = load_release(run_dir, "current")
    for k, prev in enumerate(previous, start=1):
        t2, s2 = load_release(prev, f"previous{k}")
        tables += t2
    result = audit(tables, protection=protection, skipped=skipped, workers=workers, exact=exact)
    result.run_dir = str(run_dir)
    result.previous = [str(p) for p in previous]
    out = Path(out) if out else run_dir / "check"
    io.write_json_atomic(result.to_json(), out / REPORT_JSON)
    io.write_text_atomic(to_markdown(result), out / REPORT_MD)
    return result
