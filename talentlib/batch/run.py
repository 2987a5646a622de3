"""The parent of a run: workers serving fields, progress, the briefs compared across fields,
the 12-field summary, the PDFs and the release gate."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import io
from .pipeline import (
    CHECK_SUMMARY,
    EVENT,
    PARENT_ENV,
    REPAIR_ROUNDS,
    WITHHELD,
    Pipeline,
    PipelineError,
    load_pipeline,
)
from .plan import PREPARED_ENV, Plan, prepare
from .worker import INTERNAL, PROVENANCE, SERVE, SERVED, field_workdir, one_line, release_dir

# ---------------------------------------------------------------------------------------------
# Parent: one worker process per field, progress, summary
# ---------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    run_dir: Path
    statuses: dict[str, dict[str, Any]]
    seconds: float
    # the auditor's verdict on the whole release (release_check.json), with "withheld": True when
    # the release failed and was moved out of release/; None when nothing was published
    release_check: dict[str, Any] | None = None

    @property
    def failed(self) -> dict[str, dict[str, Any]]:
        return {f: s for f, s in self.statuses.items() if s.get("status") != "ok"}


def _worker_env(workers: int, prepared: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if prepared:  # the notebooks read the inputs the run validated once
        env[PREPARED_ENV] = prepared
    # each kernel would otherwise start a polars thread per core in every parallel field
    if "POLARS_MAX_THREADS" not in env:
        env["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    env.setdefault("PYTHONUNBUFFERED", "1")
    env[PARENT_ENV] = str(os.getpid())
    return env


def _failed(field_code: str, step: str, message: str, log: str) -> dict[str, Any]:
    return {
        "field": field_code,
        "status": "failed",
        "steps": {},
        "errors": [{"step": step, "message": message, "log": log}],
    }


def _plan_memory_mb(run_dir: Path) -> int | None:
    plan = json.loads((run_dir / "pipeline.json").read_text(encoding="utf-8"))
    value = plan.get("pipeline", {}).get("memory_mb")
    return int(value) if value else None


def _limit_memory(memory_mb: int) -> None:
    """In the worker before it starts: cap its address space (inherited by its kernels), so a
    runaway field fails alone with MemoryError instead of starving the machine."""
    import resource

    cap = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _serve_fields(
    run_dir: Path, todo: queue.Queue, events: queue.Queue, env: dict[str, str]
) -> None:
    """Run fields from ``todo`` in one worker process after another, each worker serving
    fields until none is left: its imports and its kernel are started once, not once per field
    (≈ 2.5 s a field). A worker that dies fails the field it was running, as a field's own
    process did; a fresh worker takes the rest."""
    while True:
        try:
            first = todo.get_nowait()
        except queue.Empty:
            return
        _one_worker(run_dir, first, todo, events, env)


def _one_worker(
    run_dir: Path, first: str, todo: queue.Queue, events: queue.Queue, env: dict[str, str]
) -> None:
    current: str | None = first
    memory_mb = _plan_memory_mb(run_dir)
    err_path = run_dir / INTERNAL / "_workers" / f"worker-{first}.log"
    err_path.parent.mkdir(parents=True, exist_ok=True)

    def finish(f: str, status: dict[str, Any] | None) -> None:
        events.put({"field": f, "event": "field_end", "status": status or _failed(
            f, "worker", "interrupted", f"{INTERNAL}/{f}/logs")})  # fmt: skip

    try:
        with open(err_path, "a", encoding="utf-8") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "talentlib.batch", str(run_dir), SERVE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                encoding="utf-8",
                env=env,
                preexec_fn=(lambda: _limit_memory(memory_mb)) if memory_mb else None,
            )
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(first + "\n")
            proc.stdin.flush()
            for line in proc.stdout:
                if not line.startswith(EVENT):
                    err.write(line)
                    continue
                try:
                    ev = json.loads(line[len(EVENT) :])
                except json.JSONDecodeError:
                    err.write(line)
                    continue
                if ev.get("event") != SERVED:
                    events.put(ev)
                    continue
                done = ev["field"]
                st_path = field_workdir(run_dir, done) / "status.json"
                finish(
                    done,
                    json.loads(st_path.read_text(encoding="utf-8")) if st_path.exists() else None,
                )
                try:
                    current = todo.get_nowait()
                except queue.Empty:
                    current = None
                    proc.stdin.close()
                    continue
                proc.stdin.write(current + "\n")
                proc.stdin.flush()
            rc = proc.wait()
        st_path = field_workdir(run_dir, current) / "status.json" if current else None
        if st_path is not None and st_path.exists():
            own = json.loads(st_path.read_text(encoding="utf-8"))
            if own.get("status") != "ok":  # it failed on its own, then the worker stopped
                finish(str(current), own)
                current = None
        if current is not None:  # the worker died in this field: it failed, alone
            tail = err_path.read_text(encoding="utf-8").strip().splitlines()
            logs = field_workdir(run_dir, current) / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            (logs / "worker.log").write_text("\n".join(tail[-200:]) + "\n", encoding="utf-8")
            status = _failed(
                current,
                "worker",
                f"worker exited with code {rc}: {tail[-1] if tail else ''}",
                f"{INTERNAL}/{current}/logs/worker.log",
            )
            io.write_json_atomic(status, field_workdir(run_dir, current) / "status.json")
            finish(current, status)
    except Exception as exc:  # could not start or follow the worker: its field failed
        if current is not None:
            status = _failed(
                current, "worker", one_line(exc), f"{INTERNAL}/{current}/logs/worker.log"
            )
            with contextlib.suppress(OSError):
                io.write_json_atomic(status, field_workdir(run_dir, current) / "status.json")
            finish(current, status)


def execute(plan: Plan, *, quiet: bool = False, say: Callable[[str], None] = print) -> RunResult:
    """Run every field of the plan (at most plan.workers at once), then the summary; refuses
    (RunBusyError) while another process executes the same run folder."""
    run_dir = plan.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir):
        return _execute(plan, quiet=quiet, say=say)


LOCK = ".lock"


class RunBusyError(PipelineError):
    """Another `talent run` is executing the same run folder."""


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """One run at a time per run folder: an exclusive lock held while the run executes (the
    operating system drops it when the process dies, so a killed run never blocks the next)."""
    import fcntl

    path = run_dir / LOCK
    fh = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise RunBusyError(
                f"run {run_dir.name} is being executed by {holder}; wait for it to finish, or "
                "start a new run (without --resume)"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}")
        fh.flush()
        yield
    finally:
        fh.close()


# Chromiums printing the briefs at once (one page after another each): two use a small
# machine's both cores; a Chromium's start is most of one print's time
PRINTERS = 2


def print_and_release(
    run_dir: Path,
    fields: Iterable[str],
    publish: Callable[[str], bool] | None = None,
    write: Callable[[str], None] = print,
) -> None:
    """Print each field's brief.pdf and release the field. The workers publish HTML only: the
    parent prints every PDF once, at the end (the second pass would otherwise print each brief
    twice), with a few Chromiums for all briefs, while the next brief is published
    (``publish(field)`` → False: leave that field as it is)."""
    from .. import printing, report

    log = logging.getLogger("talentlib.batch")
    ready: list[str] = []

    def jobs() -> Iterator[tuple[Path, Path]]:
        for f in fields:
            if publish is not None and not publish(f):
                continue
            work = field_workdir(run_dir, f)
            (work / "brief.pdf").unlink(missing_ok=True)  # never a PDF of an earlier brief
            ready.append(f)
            yield work / "brief.html", work / "brief.pdf"

    printed = printing.print_all(jobs(), browsers=PRINTERS)
    for f in ready:
        work = field_workdir(run_dir, f)
        err = printed[work / "brief.pdf"].exception()
        if err is not None:  # a machine without Chromium still publishes the HTML brief
            log.warning("%s: brief.pdf not written: %s", f, err)
        try:
            report.release_field(work, release_dir(run_dir) / f)
        except Exception as exc:  # the brief released by the worker stays
            write(f"  {f} · 인쇄본을 공개하지 못했습니다: {one_line(exc)}")


def print_summary(summary_dir: Path) -> None:
    """overview.pdf beside the 12-field summary page, for readers who print."""
    from .. import printing

    page, pdf = summary_dir / "index.html", summary_dir / SUMMARY_PDF
    pdf.unlink(missing_ok=True)  # never a PDF of an earlier summary
    err = printing.print_all([(page, pdf)], browsers=1)[pdf].exception()
    if err is not None:
        logging.getLogger("talentlib.batch").warning("%s not written: %s", SUMMARY_PDF, err)


SUMMARY_PDF = "overview.pdf"


def _compare_fields(
    plan: Plan, statuses: dict[str, dict[str, Any]], write: Callable[[str], None]
) -> list[str]:
    """The second pass: with every field's key numbers in hand, each brief is written again so
    that its findings compare the field with the others of this same run (never with numbers
    from another run: every compared number is in this release's own tables). A field whose
    second pass fails keeps its first brief, which states its own numbers only."""
    from .. import findings, report

    run_dir = plan.run_dir
    workdirs = {f: field_workdir(run_dir, f) for f in statuses}
    numbers = {
        f: n
        for f, n in report.field_numbers(release_dir(run_dir), statuses, workdirs).items()
        if (workdirs[f] / PROVENANCE).exists()
    }
    if len(numbers) < findings.MIN_FIELDS:
        return []
    stats = findings.overview_stats(numbers)
    io.write_json_atomic(stats, run_dir / INTERNAL / "overview.json")
    _publish_again(plan, list(numbers), stats, write)
    return list(numbers)


def _publish_again(
    plan: Plan,
    fields: list[str],
    overview: dict[str, Any] | None,
    write: Callable[[str], None],
) -> None:
    """Write the given fields' briefs again from their (verified) tables and release them."""
    from .. import privacy, report

    run_dir = plan.run_dir

    def publish(f: str) -> bool:
        work = field_workdir(run_dir, f)
        if not (work / PROVENANCE).exists():
            return False
        prov = json.loads((work / PROVENANCE).read_text(encoding="utf-8"))
        try:
            report.publish_field(
                work,
                f,
                rules=privacy.DisclosureRules(**plan.pipeline["disclosure"]),
                run_id=plan.run_id,
                provenance=prov,
                overview=overview,
            )
        except Exception as exc:  # the first brief (without comparisons) stays released
            write(f"  {f} · 분야 비교 문장을 넣지 못했습니다: {one_line(exc)}")
            return False
        return True

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first pass already logged them
        print_and_release(run_dir, fields, publish, write)


def _execute(plan: Plan, *, quiet: bool, say: Callable[[str], None]) -> RunResult:
    from tqdm import tqdm

    from .. import report

    t0 = time.perf_counter()
    run_dir = plan.run_dir
    io.write_json_atomic(
        plan.to_json() | {"written": datetime.now(UTC).isoformat()}, run_dir / "pipeline.json"
    )
    if plan.quality:
        import polars as pl

        io.write_parquet_atomic(pl.from_dicts(plan.quality), run_dir / "data_quality.parquet")
    for f in plan.fields:  # a status from an earlier attempt must not speak for this one
        (field_workdir(run_dir, f) / "status.json").unlink(missing_ok=True)
        stale = release_dir(run_dir) / f  # released again only if this attempt publishes it
        if stale.exists():
            shutil.rmtree(stale)
    steps_per_field = len(plan.notebooks) + 1
    total = steps_per_field * len(plan.fields)
    events: queue.Queue = queue.Queue()
    env = _worker_env(plan.workers, plan.data.get("prepared"))
    bar = tqdm(
        total=total,
        desc="배치",
        unit="단계",
        disable=quiet,
        dynamic_ncols=True,
        bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}",
    )
    write = tqdm.write if not quiet else (lambda s: None)
    counted: dict[str, int] = {}
    statuses: dict[str, dict[str, Any]] = {}
    todo: queue.Queue = queue.Queue()
    for f in plan.fields:
        todo.put(f)
    with ThreadPoolExecutor(max_workers=plan.workers) as pool:
        futures = [
            pool.submit(_serve_fields, run_dir, todo, events, env)
            for _ in range(min(plan.workers, len(plan.fields)))
        ]
        pending = len(plan.fields)  # one field_end per field
        while pending:
            try:
                ev = events.get(timeout=0.5)
            except queue.Empty:
                continue
            f = ev["field"]
            kind = ev["event"]
            if kind == "start":
                bar.set_postfix_str(f"{f} · {ev['step']}")
                continue
            if kind == "field_end":
                pending -= 1
                statuses[f] = ev["status"]
                left = steps_per_field - counted.get(f, 0)
                if left > 0:
                    bar.update(left)
                mark = "완료" if ev["status"].get("status") == "ok" else "실패"
                write(f"  [{mark}] {f} ({ev['status'].get('seconds', 0):.1f}초)")
                continue
            counted[f] = counted.get(f, 0) + 1
            bar.update(1)
            if kind == "done":
                write(f"  {f} · {ev['step']} {ev.get('seconds', 0):.1f}초")
                for w in ev.get("warnings") or []:
                    write(f"  {f} · {ev['step']} 경고: {w}")
            elif kind == "skipped":
                write(
                    f"  {f} · {ev['step']} 건너뜀"
                    + (f" ({ev['message']})" if ev.get("message") else " (이미 완료)")
                )
            elif kind == "failed":
                write(f"  {f} · {ev['step']} 실패: {ev.get('message', '')}")
        for fut in futures:
            fut.result()
    bar.close()
    phases = {"fields": round(time.perf_counter() - t0, 2)}
    mark = time.perf_counter()
    # the summary covers every field this run folder holds, also from earlier (resumed) attempts
    all_statuses = {}
    for p in sorted((run_dir / INTERNAL).glob("*/status.json")):
        all_statuses[p.parent.name] = json.loads(p.read_text(encoding="utf-8"))
    all_statuses.update(statuses)
    compared = _compare_fields(plan, all_statuses, write)
    # briefs without a second pass are printed as the workers published them
    print_and_release(
        run_dir,
        [
            f
            for f, st in sorted(all_statuses.items())
            if st.get("status") == "ok"
            and f not in compared
            and (field_workdir(run_dir, f) / "brief.html").exists()
            and not (field_workdir(run_dir, f) / "brief.pdf").exists()
        ],
        write=write,
    )
    phases["briefs"] = round(time.perf_counter() - mark, 2)
    mark = time.perf_counter()
    summary_dir = report.write_summary(
        release_dir(run_dir),
        all_statuses,
        workdirs={f: field_workdir(run_dir, f) for f in all_statuses},
        run_id=plan.run_id,
    )
    print_summary(summary_dir)
    phases["summary"] = round(time.perf_counter() - mark, 2)
    mark = time.perf_counter()

    def repair(extra: dict[str, list[dict[str, str]]]) -> int:
        """Secondary suppression: hide the cells in the fields' stamped tables, publish again."""
        hidden, touched = 0, set()
        for uid, cells in sorted(extra.items()):
            brief, name = uid.split("/", 1)
            work = field_workdir(run_dir, brief)
            if brief in all_statuses and (work / report.LEDGER).exists():
                hidden += report.hide_cells(work, name, cells)
                touched.add(brief)
        ov = run_dir / INTERNAL / "overview.json"
        overview = json.loads(ov.read_text(encoding="utf-8")) if ov.exists() else None
        _publish_again(plan, sorted(touched), overview, write)
        print_summary(
            report.write_summary(
                release_dir(run_dir),
                all_statuses,
                workdirs={f: field_workdir(run_dir, f) for f in all_statuses},
                run_id=plan.run_id,
            )
        )
        return hidden

    checked = check_release_gate(
        run_dir,
        plan.pipeline.get("release_check", "refuse"),
        write,
        previous=plan.pipeline.get("previous_releases") or (),
        repair=repair,
    )
    phases["gate"] = round(time.perf_counter() - mark, 2)
    seconds = round(time.perf_counter() - t0, 2)
    io.write_json_atomic(
        {
            "run_id": plan.run_id,
            "seconds": seconds,
            "phases": phases,  # wall seconds: fields (in parallel), briefs (2nd pass, PDFs), summary, gate
            "workers": plan.workers,
            "fields": {
                f: {k: s.get(k) for k in ("status", "errors", "seconds")}
                for f, s in all_statuses.items()
            },
            "summary": str(summary_dir.relative_to(run_dir)),
            "release_check": checked,
        },
        run_dir / "run.json",
    )
    return RunResult(run_dir, statuses, seconds, checked)


def check_release_gate(
    run_dir: Path,
    mode: str = "refuse",
    write: Callable[[str], None] = print,
    *,
    previous: Sequence[str | Path] = (),
    repair: Callable[[dict[str, list[dict[str, str]]]], int] | None = None,
) -> dict[str, Any] | None:
    """The release gate: audit everything the run published together (``talent check-release``:
    the LP differencing attack over all briefs, the summary and the 12-field tables). The full
    report (it names recoverable values) goes to internal/check/; release/ gets only the verdict
    (CHECK_SUMMARY). A failing release is withheld — moved to internal/withheld_release/ — unless
    the pipeline says ``release_check: report``. ``previous``: earlier releases a reader may hold
    (pipeline key ``previous_releases``), audited together with this one. ``repair`` adds
    secondary suppression: given the cells ``audit.secondary_cells`` chooses, it hides them in
    the stamped tables and publishes the briefs again; the release is audited again, up to
    REPAIR_ROUNDS times, before it is withheld."""
    from .. import audit

    rel = release_dir(run_dir)
    if not any(rel.glob("*/manifest.json")):
        return None
    out = run_dir / INTERNAL / "check"
    try:
        result = audit.check_release(run_dir, previous=list(previous), out=out, exact=False)
    except FileNotFoundError:  # briefs that publish no table: nothing to audit
        return None
    rounds, secondary = 0, 0
    while result.status == "fail" and repair is not None and rounds < REPAIR_ROUNDS:
        extra = audit.secondary_cells(result)
        if not extra:
            break
        n_fail = result.counts("current")["cells_fail"]
        added = repair(extra)
        if not added:
            break
        rounds += 1
        secondary += added
        write(
            f"  공개 묶음 점검: 실패 셀 {n_fail}개 → 보완 비공개 {added}개 추가 후 다시 점검 ({rounds}회)"
        )
        result = audit.check_release(run_dir, previous=list(previous), out=out, exact=False)
    verdict = result.public_json()
    n = verdict["summary"]
    share = verdict["published_share"]
    write(
        f"  공개 묶음 점검: {audit.STATUS_KO[result.status]} · 표 {n['tables']}개 · 비공개 셀 "
        f"{n['cells_suppressed']}개 · 실패 {n['cells_fail']}개"
        + (f" · 공개된 셀 {share:.1%}" if share is not None else "")
    )
    withheld = result.status == "fail" and mode == "refuse"
    if withheld:
        dest = run_dir / INTERNAL / WITHHELD
        if dest.exists():
            shutil.rmtree(dest)
        rel.rename(dest)
        rel.mkdir()
        write(
            f"  공개 보류: 점검에 실패한 공개 묶음을 {dest}로 옮겼습니다 "
            f"(셀별 결과: {run_dir / INTERNAL / 'check' / audit.REPORT_MD})"
        )
    verdict |= {
        "mode": mode,
        "withheld": withheld,
        "repair_rounds": rounds,
        "secondary_cells": secondary,
    }
    io.write_json_atomic(verdict, (run_dir / INTERNAL / "check" / CHECK_SUMMARY))
    if not withheld:
        io.write_json_atomic(verdict, rel / CHECK_SUMMARY)
    return verdict


def run(
    pipeline: str | Path | Pipeline = "pipelines/default.yaml",
    *,
    quiet: bool = False,
    say: Callable[[str], None] = print,
    **kw: Any,
) -> RunResult:
    """prepare + execute, for Python callers (the CLI does the same with messages)."""
    p = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    plan = prepare(p, say=(lambda s: None) if quiet else say, **kw)
    return execute(plan, quiet=quiet, say=say)


def failure_lines(result: RunResult) -> list[str]:
    """One line per failed field: what failed, why, and where the log is."""
    out = []
    for f, st in result.failed.items():
        errs = st.get("errors") or [{"step": "?", "message": "unknown failure"}]
        e = errs[0]
        more = f" 외 {len(errs) - 1}건" if len(errs) > 1 else ""
        log = (
            result.run_dir / e["log"] if e.get("log") else field_workdir(result.run_dir, f) / "logs"
        )
        out.append(f"실패 {f}: {e['step']} — {e['message']}{more} (로그: {log})")
    return out
