"""A field in a worker process: its notebooks in one kernel, then its brief; done-markers,
logs and status. ``python -m talentlib.batch RUN --serve`` runs the fields the parent sends."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import io
from .pipeline import BRIEF, EVENT, PARENT_ENV
from .plan import short_hash

# ---------------------------------------------------------------------------------------------
# Worker: one field, in its own process
# ---------------------------------------------------------------------------------------------


PROVENANCE = "provenance.json"  # what a field's brief says it was made from (internal)
INTERNAL = "internal"  # what stays in the secure environment: notebooks, logs, work tables
RELEASE = "release"  # what may leave it: gated briefs, workbooks, tables, charts, the summary


def field_workdir(run_dir: str | Path, field_code: str) -> Path:
    """Where a field's notebooks run and write (internal: executed notebooks, logs, tables)."""
    return Path(run_dir) / INTERNAL / field_code


def release_dir(run_dir: str | Path) -> Path:
    """The run's release: only files that passed the disclosure gate."""
    return Path(run_dir) / RELEASE


def _emit(**event: Any) -> None:
    print(EVENT + json.dumps(event, ensure_ascii=False), flush=True)


def notebook_parameters(
    plan: dict[str, Any], nb: dict[str, Any], field_code: str, declared: set[str], field_dir: Path
) -> tuple[dict[str, Any], list[str]]:
    """Parameters for one notebook run: shared, disclosure, per-notebook and per-field values,
    kept where the notebook declares them; the batch's own (field, data_dir, bibliometrics_dir,
    output_dir) last.
    Returns the parameters and warnings about values the notebook does not declare."""
    p = plan["pipeline"]
    from .. import privacy

    disclosure = privacy.DisclosureRules(**p["disclosure"]).as_parameters()
    shared = {**p["parameters"], **disclosure, "scale": plan["data"]["scale"]}
    params = {k: v for k, v in shared.items() if k in declared}
    params.update(nb["parameters"])
    per_field = p["field_parameters"].get(field_code, {})
    params.update({k: v for k, v in per_field.items() if k in declared or k in nb["parameters"]})
    data = plan["data"]
    params.update(
        {
            "field": field_code,
            "data_dir": data["path"],
            "bibliometrics_dir": data.get("bibliometrics") or data["path"],
            "output_dir": str(field_dir),
        }
    )
    params = {k: v for k, v in params.items() if k in declared or k in nb["parameters"]}
    warn = [
        f"{nb['name']}: parameter {k!r} is not declared in the notebook"
        for k in nb["parameters"]
        if k not in declared
    ]
    return params, warn


def _marker(field_dir: Path, step: str) -> Path:
    return field_dir / ".done" / f"{step}.json"


def _is_done(field_dir: Path, step: str, h: str) -> bool:
    m = _marker(field_dir, step)
    if not m.exists():
        return False
    try:
        return json.loads(m.read_text(encoding="utf-8")).get("hash") == h
    except json.JSONDecodeError:
        return False


@contextlib.contextmanager
def _log_to(path: Path, *loggers: str) -> Iterator[logging.Handler]:
    path.parent.mkdir(parents=True, exist_ok=True)
    h = logging.FileHandler(path, encoding="utf-8")
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in loggers:
        lg = logging.getLogger(name)
        lg.addHandler(h)
        lg.setLevel(logging.INFO)
    try:
        yield h
    finally:
        for name in loggers:
            logging.getLogger(name).removeHandler(h)
        h.close()


def one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError: the notebook's own exception
        cell = getattr(exc, "exec_count", None)
        evalue = str(getattr(exc, "evalue", "")).strip().splitlines()
        return f"{ename}: {evalue[0] if evalue else ''}" + (f" (셀 {cell})" if cell else "")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _key_numbers_after(field_dir: Path, before: dict[str, Any], nb_name: str) -> None:
    """Keep key_numbers.json namespaced by notebook, also when a notebook wrote it flat."""
    from .. import report

    path = field_dir / report.KEY_NUMBERS
    if not path.exists():
        return
    now = json.loads(path.read_text(encoding="utf-8"))
    if nb_name not in now:  # a flat file written by this notebook replaced the sidecar
        merged = {**before, nb_name: {k: v for k, v in now.items() if k not in before}}
        io.write_json_atomic(merged, path)


# A field's kernel that holds more than this after a notebook is not reused: a fresh one gives
# the memory back (at national scale a notebook's frames run to gigabytes; reuse saves seconds).
KERNEL_REUSE_MAX_MB = 1024


def _rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process in MiB (Linux /proc; None where unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, TypeError):
        return None
    return None


# jsonschema (under altair in a kernel, nbformat in a worker) imports this optional IRI-syntax
# checker when it is installed (JupyterLab's jupyter-events brings it): it compiles a grammar at
# import, ≈ 1 s in every kernel and every worker, for a string format that no notebook, chart
# or table of a run validates. A batch's own processes import jsonschema without it.
SLOW_OPTIONAL_IMPORTS = ("rfc3987_syntax",)
_SKIP_SLOW_IMPORTS = "".join(
    f"_sys.modules.setdefault({name!r}, None)\n" for name in SLOW_OPTIONAL_IMPORTS
)


def _skip_slow_optional_imports() -> None:
    """In this process, importing SLOW_OPTIONAL_IMPORTS raises ImportError (as when they are not
    installed), unless already imported."""
    for name in SLOW_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


class _FieldKernel:
    """One Python kernel for a field's notebooks, one after another: each notebook starts from
    an empty namespace (``%reset -f``) with its own name in the environment, but the modules
    the previous one imported stay loaded and the kernel does not start again (≈ 2–3 s a
    notebook). A kernel that died, does not answer or holds more than ``KERNEL_REUSE_MAX_MB``
    is replaced by a fresh one."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.km: Any = None

    def _start(self) -> None:
        from jupyter_client import KernelManager

        self.close()
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=self.cwd)

    def ready_for(self, notebook: str) -> Any:
        """The kernel manager, its namespace emptied and the notebook's name set."""
        from .. import report

        code = (
            'get_ipython().run_line_magic("reset", "-f")\nimport gc as _gc\n_gc.collect()\n'
            f"import sys as _sys\n{_SKIP_SLOW_IMPORTS}"
            f"import os as _os\n_os.environ[{report.NOTEBOOK_ENV!r}] = {notebook!r}\n"
            "del _os, _gc, _sys"
        )
        if self.km is not None and (_rss_mb(self.pid) or 0) > KERNEL_REUSE_MAX_MB:
            self.close()
        for attempt in (1, 2):
            if self.km is None or not self.km.is_alive():
                self._start()
            kc = self.km.client()
            try:
                kc.start_channels()
                kc.wait_for_ready(timeout=60)
                reply = kc.execute_interactive(code, timeout=60)
                if reply["content"]["status"] == "ok":
                    return self.km
            except Exception:  # noqa: BLE001 - a kernel that does not answer is replaced
                if attempt == 2:
                    raise
            finally:
                kc.stop_channels()
            self.close()
        return self.km

    @property
    def pid(self) -> int | None:
        """The kernel's process id (None when there is none)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def close(self) -> None:
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
            self.km = None


def _number_cells(path: Path) -> None:
    """Execution counts from 1 in an executed notebook (a shared kernel counts on)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        n += 1
        cell.execution_count = n
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = n
    nbformat.write(nb, path)


def run_field(
    run_dir: str | Path, field_code: str, kernel: _FieldKernel | None = None
) -> dict[str, Any]:
    """Run one field's notebooks and publish it; return (and write) its status. Never raises
    for a notebook or gate failure: those are the field's status. ``kernel``: one the caller
    keeps for its next field (a worker serving several fields); by default the field's own."""
    import papermill as pm

    from .. import privacy, report

    run_dir = Path(run_dir)
    plan = json.loads((run_dir / "pipeline.json").read_text(encoding="utf-8"))
    field_dir = field_workdir(run_dir, field_code)
    logs = field_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (field_dir / "notebooks").mkdir(exist_ok=True)
    status: dict[str, Any] = {"field": field_code, "status": "ok", "errors": [], "steps": {}}
    flog = logging.getLogger(f"talentlib.batch.{field_code}")
    t_field = time.perf_counter()
    inputs_hash = short_hash(plan["data"]["inputs"], 16)
    nb_hashes: dict[str, str] = {}
    params_used: dict[str, Any] = {}
    own = kernel is None
    kernel = kernel or _FieldKernel(plan["pipeline"]["root"])
    with (
        _log_to(logs / "field.log", flog.name),
        contextlib.closing(kernel) if own else contextlib.nullcontext(),
    ):
        flog.info("field %s, run %s, data %s", field_code, plan["run_id"], plan["data"]["path"])
        for nb in plan["notebooks"]:
            name = nb["name"]
            src = Path(nb["path"])
            t0 = time.perf_counter()
            try:
                ipynb = src
                if src.suffix == ".py":  # only the jupytext .py exists: pair it on the fly
                    import jupytext

                    ipynb = run_dir / "_notebooks" / f"{name}.ipynb"
                    if not ipynb.exists():
                        ipynb.parent.mkdir(parents=True, exist_ok=True)
                        jupytext.write(jupytext.read(src), ipynb)
                declared = set(pm.inspect_notebook(str(ipynb)))
                need = {"field", "output_dir"} - declared
                if need:
                    raise RuntimeError(
                        f"the notebook has no parameter(s) {sorted(need)} in its parameters cell"
                    )
                params, warn = notebook_parameters(plan, nb, field_code, declared, field_dir)
                for w in warn:
                    flog.warning(w)
                params_used[name] = params
                h = short_hash(
                    {"params": params, "notebook": io.file_sha256(ipynb), "inputs": inputs_hash}, 16
                )
                nb_hashes[name] = h
                if _is_done(field_dir, name, h):
                    status["steps"][name] = {"status": "skipped", "seconds": 0.0}
                    _emit(field=field_code, step=name, event="skipped")
                    flog.info("%s: already done with the same parameters, skipped", name)
                    continue
                _marker(field_dir, name).unlink(missing_ok=True)
                _emit(field=field_code, step=name, event="start")
                flog.info("%s: start %s", name, json.dumps(params, ensure_ascii=False))
                before = (
                    json.loads((field_dir / report.KEY_NUMBERS).read_text(encoding="utf-8"))
                    if (field_dir / report.KEY_NUMBERS).exists()
                    else {}
                )
                os.environ[report.NOTEBOOK_ENV] = name
                executed = field_dir / "notebooks" / f"{name}.ipynb"
                with _log_to(logs / f"{name}.log", "papermill"):
                    pm.execute_notebook(
                        str(ipynb),
                        str(executed),
                        parameters=params,
                        kernel_name="python3",
                        progress_bar=False,
                        log_output=True,
                        cwd=plan["pipeline"]["root"],
                        execution_timeout=plan["pipeline"]["timeout_s"],
                        km=kernel.ready_for(name),
                    )
                _number_cells(executed)
                _key_numbers_after(field_dir, before, name)
                secs = round(time.perf_counter() - t0, 2)
                io.write_json_atomic(
                    {
                        "hash": h,
                        "seconds": secs,
                        "parameters": params,
                        "finished": datetime.now(UTC).isoformat(),
                    },
                    _marker(field_dir, name),
                )
                status["steps"][name] = {"status": "ok", "seconds": secs}
                _emit(field=field_code, step=name, event="done", seconds=secs)
                flog.info("%s: done in %.1fs", name, secs)
            except Exception as exc:  # isolate: record, go on with the field's other notebooks
                kernel.close()  # whatever state a failed notebook left, the next starts afresh
                msg = one_line(exc)
                secs = round(time.perf_counter() - t0, 2)
                status["status"] = "failed"
                status["errors"].append(
                    {
                        "step": name,
                        "message": msg,
                        "log": str((logs / f"{name}.log").relative_to(run_dir)),
                    }
                )
                status["steps"][name] = {"status": "failed", "seconds": secs}
                flog.error("%s failed: %s\n%s", name, msg, traceback.format_exc())
                _emit(field=field_code, step=name, event="failed", message=msg, seconds=secs)
            finally:
                os.environ.pop(report.NOTEBOOK_ENV, None)

        t0 = time.perf_counter()
        if status["status"] != "ok":
            status["steps"][BRIEF] = {"status": "not_run", "seconds": 0.0}
            _emit(field=field_code, step=BRIEF, event="skipped", message="notebook failed")
        else:
            h = short_hash(
                {
                    "notebooks": nb_hashes,
                    # the rules as published: a new salt (salt_id) makes new briefs
                    "disclosure": privacy.DisclosureRules(
                        **plan["pipeline"]["disclosure"]
                    ).public(),
                    "report": short_hash(
                        {
                            p.name: io.file_sha256(p)
                            for p in sorted(Path(report.__file__).parent.glob("*.py"))
                        }
                    ),
                },
                16,
            )
            if _is_done(field_dir, BRIEF, h) and (field_dir / "brief.html").exists():
                if not (release_dir(run_dir) / field_code / "brief.html").exists():
                    report.release_field(field_dir, release_dir(run_dir) / field_code)
                status["steps"][BRIEF] = {"status": "skipped", "seconds": 0.0}
                _emit(field=field_code, step=BRIEF, event="skipped")
            else:
                _emit(field=field_code, step=BRIEF, event="start")
                try:
                    _marker(field_dir, BRIEF).unlink(missing_ok=True)
                    timings = {f"{k}_seconds": v["seconds"] for k, v in status["steps"].items()}
                    prov = {
                        "run_id": plan["run_id"],
                        "pipeline": {k: plan["pipeline"][k] for k in ("name", "source", "sha256")},
                        "data_dir": plan["data"]["path"],
                        "inputs": plan["data"]["inputs"],
                        "quarantine": {q["dataset"]: q["n_quarantined"] for q in plan["quality"]},
                        "parameters": params_used,
                        "notebooks": {
                            nb["name"]: {
                                "path": nb["path"],
                                "executed": f"notebooks/{nb['name']}.ipynb",
                                **status["steps"].get(nb["name"], {}),
                            }
                            for nb in plan["notebooks"]
                        },
                        "timings": timings,
                    }
                    io.write_json_atomic(prov, field_dir / PROVENANCE)  # for the second pass
                    rules = privacy.DisclosureRules(**plan["pipeline"]["disclosure"])
                    with _log_to(logs / "brief.log", "py.warnings"):
                        logging.captureWarnings(True)
                        report.publish_field(
                            field_dir,
                            field_code,
                            rules=rules,
                            run_id=plan["run_id"],
                            provenance=prov,
                        )
                    # the parent prints the PDF once every brief is final (print_and_release)
                    (field_dir / "brief.pdf").unlink(missing_ok=True)
                    report.release_field(field_dir, release_dir(run_dir) / field_code)
                    secs = round(time.perf_counter() - t0, 2)
                    io.write_json_atomic({"hash": h, "seconds": secs}, _marker(field_dir, BRIEF))
                    status["steps"][BRIEF] = {"status": "ok", "seconds": secs}
                    manifest = json.loads((field_dir / "manifest.json").read_text(encoding="utf-8"))
                    status["warnings"] = manifest.get("warnings", [])
                    _emit(
                        field=field_code,
                        step=BRIEF,
                        event="done",
                        seconds=secs,
                        warnings=status["warnings"],
                    )
                except Exception as exc:
                    msg = one_line(exc)
                    if isinstance(exc, report.DisclosureGateError):
                        msg = f"공개 통제 관문: {msg}"
                    status["status"] = "failed"
                    status["errors"].append(
                        {
                            "step": BRIEF,
                            "message": msg,
                            "log": str((logs / "field.log").relative_to(run_dir)),
                        }
                    )
                    status["steps"][BRIEF] = {
                        "status": "failed",
                        "seconds": round(time.perf_counter() - t0, 2),
                    }
                    flog.error("brief failed: %s\n%s", msg, traceback.format_exc())
                    _emit(field=field_code, step=BRIEF, event="failed", message=msg)
        status["seconds"] = round(time.perf_counter() - t_field, 2)
        io.write_json_atomic(status, field_dir / "status.json")
    return status


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their kernels, …), read from /proc on Linux."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _stop_tree_and_exit(*_: Any) -> None:
    """Kill this worker's kernels (and anything else it started), then exit at once."""
    import signal

    for pid in reversed(_descendants(os.getpid())):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(137)


def _watch_parent(parent: int, every: float = 0.2) -> None:
    """A worker outlives a killed `talent run` only for a moment: when the parent is gone (the
    worker is re-parented), stop the kernels and exit, so nothing keeps writing into the run."""
    import signal
    import threading

    signal.signal(signal.SIGTERM, _stop_tree_and_exit)

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                _stop_tree_and_exit()

    threading.Thread(target=watch, name="talent-parent-watch", daemon=True).start()


SERVE = "--serve"  # a worker that runs the fields the parent sends it, one after another
SERVED = "served"  # its event: a field is finished (its status.json is written)


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: python -m talentlib.batch RUN_DIR --serve (fields on stdin)."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[1] != SERVE:
        print(
            f"usage: python -m talentlib.batch RUN_DIR {SERVE} (started by `talent run`; "
            "it runs the fields given on stdin, one per line)",
            file=sys.stderr,
        )
        return 2
    parent = os.environ.get(PARENT_ENV)
    if parent and parent.isdigit():
        _watch_parent(int(parent))
    _skip_slow_optional_imports()
    # the fields the parent sends on stdin, one per line, one kernel for all of them
    plan = json.loads((Path(args[0]) / "pipeline.json").read_text(encoding="utf-8"))
    kernel = _FieldKernel(plan["pipeline"]["root"])
    try:
        for line in sys.stdin:
            if line.strip():
                run_field(args[0], line.strip(), kernel)
                _emit(field=line.strip(), event=SERVED)
    finally:
        kernel.close()
    return 0
