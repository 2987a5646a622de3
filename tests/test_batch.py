"""talentlib.batch and `talent run`: pipelines as data, fields in parallel, failures isolated,
--resume, the disclosure gate failing a field, the cross-field summary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import polars as pl
import pytest

from talentlib import batch, report

ROOT = Path(__file__).resolve().parents[1]
CAREER = ROOT / "notebooks" / "03_career_flow.ipynb"


def talent(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as people run it (not quiet: progress lines go to stdout, warnings to stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "talentlib.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=env,
    )


def write_pipeline(path: Path, notebooks: list[str], **extra: object) -> Path:
    import yaml

    spec = {"name": "test", "dataset": {"scale": "tiny"}, "notebooks": notebooks, **extra}
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_default_pipeline_lists_notebooks_fields_and_rules() -> None:
    p = batch.load_pipeline(ROOT / "pipelines" / "default.yaml")
    assert len(p.fields) == 12 and p.fields[0] == "SEMI"
    names = [nb.name for nb in p.notebooks]
    assert names == ["01_workforce_map", "02_job_analysis", "03_career_flow"]
    assert p.disclosure == {  # no salt: each process reads the installation's secret itself
        "dominance_k": 0.85,
        "dominance_n": 2,
        "method": "cell_key",
        "min_count": 5,
        "min_count_magnitude": 10,
    }
    assert p.dataset["scale"] == "small" and p.workers >= 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notebooks: [a.ipynb]\nfieldz: all\n", "unknown key"),
        ("notebooks: []\n", "no notebooks"),
        ("notebooks: [a.ipynb]\ndisclosure: {min_count: 0}\n", "disclosure"),
        ("notebooks: [{path: a.ipynb, parameters: {field: X}}]\n", "set by the batch"),
        ("notebooks: [a.ipynb]\ndataset: {scale: huge}\n", "dataset.scale"),
        ("notebooks: [a.ipynb]\ntimeout_s: abc\n", r"p.yaml:2: timeout_s must be a whole"),
        ("notebooks: [a.ipynb]\nrelease_check: maybe\n", r"p.yaml:2: release_check must be"),
        ("notebooks: [a.ipynb]\n\nworkers: 1.5\n", r"p.yaml:3: workers must be a whole"),
        ("notebooks: [a.ipynb]\nfields: [BATT, BATX]\n", r"p.yaml:2: unknown field code 'BATX'"),
        (
            "notebooks: [a.ipynb]\nfield_parameters:\n  SEMI: {}\n  BAT: {exit_years: [1, 2]}\n",
            r"p.yaml:4: field_parameters: unknown field code 'BAT' \(did you mean 'BATT'\?\)",
        ),
        ("notebooks: [a.ipynb]\ndisclosure:\n  min_cont: 5\n", r"p.yaml:3: .*'min_count'"),
        ("notebooks: [a.ipynb]\ndisclosure: {preset: acr}\n", "unknown disclosure preset 'acr'"),
        ("notebooks: [a.ipynb]\ndisclosure: {method: noise}\n", "method must be one of"),
        ("notebooks: [a.ipynb\nfields: all\n", r"p.yaml:2: not valid YAML"),
        # the two datasets (registers, bibliometrics) and the folders only the batch sets
        (
            "notebooks: [a.ipynb]\ndataset:\n  bibliometrics: 3\n",
            r"p.yaml:3: dataset.bibliometrics must be a folder path, got '3'",
        ),
        (
            "notebooks: [a.ipynb]\ndataset:\n  registers: [a, b]\n",
            r"p.yaml:3: dataset.registers must be a folder path",
        ),
        (
            "notebooks: [a.ipynb]\ndataset:\n  path: data/a\n  registers: data/b\n",
            r"p.yaml:4: dataset: registers and path name the same folder",
        ),
        (
            "notebooks: [a.ipynb]\ndataset:\n  scale: tiny\n  bibliometric: data/oa\n",
            r"p.yaml:4: dataset: unknown key 'bibliometric' \(did you mean 'bibliometrics'\?\)",
        ),
        (
            "notebooks: [a.ipynb]\ndataset: data/oa\n",
            r"p.yaml:2: dataset must be a mapping \(registers, bibliometrics",
        ),
        (
            "notebooks: [a.ipynb]\nparameters:\n  bibliometrics_dir: data/oa\n",
            r"p.yaml:3: parameters: 'bibliometrics_dir' is set by the batch itself",
        ),
        (
            "notebooks: [a.ipynb]\nfield_parameters:\n  SEMI:\n    data_dir: x\n",
            r"p.yaml:4: field_parameters.SEMI: 'data_dir' is set by the batch itself",
        ),
        (
            "notebooks:\n  - path: a.ipynb\n    parameters: {bibliometrics_dir: x}\n",
            r"p.yaml:3: a: \['bibliometrics_dir'\] are set by the batch itself",
        ),
    ],
)
def test_pipeline_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(batch.PipelineError, match=message):
        batch.load_pipeline(p)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"parameters": {"exit_yeras": [2013, 2023]}},
            r"p.yaml:\d+: parameter 'exit_yeras' is "
            r"declared by none of the notebooks \(did you mean 'exit_years'\?\)",
        ),
        (
            {"field_parameters": {"SEMI": {"min_cnt": 3}}},
            r"field_parameters.SEMI: parameter "
            r"'min_cnt'",
        ),
    ],
)
def test_parameters_must_be_declared_by_a_notebook(
    tiny_data: Path, tmp_path: Path, extra: dict, message: str
) -> None:
    p = batch.load_pipeline(write_pipeline(tmp_path / "p.yaml", [str(CAREER)], **extra))
    with pytest.raises(batch.PipelineError, match=message):
        batch.prepare(p, outputs=tmp_path / "out", data=tiny_data, say=lambda s: None, root=ROOT)


def test_notebook_parameter_typo_names_the_notebook(tiny_data: Path, tmp_path: Path) -> None:
    p = batch.load_pipeline(
        write_pipeline(
            tmp_path / "p.yaml", [{"path": str(CAREER), "parameters": {"exit_year": [2013]}}]
        )
    )
    with pytest.raises(
        batch.PipelineError, match="03_career_flow does not declare parameter 'exit_year'"
    ):
        batch.prepare(p, outputs=tmp_path / "out", data=tiny_data, say=lambda s: None, root=ROOT)


def test_missing_or_empty_data_folder_is_an_error_and_nothing_is_generated(
    tmp_path: Path,
) -> None:
    p = batch.load_pipeline(write_pipeline(tmp_path / "p.yaml", [str(CAREER)]))
    typo = tmp_path / "my_dta"
    with pytest.raises(batch.PipelineError, match="dataset folder not found"):
        batch.prepare(p, outputs=tmp_path / "out", data=typo, say=lambda s: None, root=ROOT)
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(batch.PipelineError, match="holds none of the dataset files"):
        batch.prepare(p, outputs=tmp_path / "out", data=empty, say=lambda s: None, root=ROOT)
    assert list(empty.iterdir()) == []


def test_one_run_at_a_time_per_run_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with batch.run_lock(run_dir):
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "from pathlib import Path; from talentlib import batch\n"
                f"with batch.run_lock(Path({str(run_dir)!r})): pass",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert child.returncode != 0 and "is being executed by pid" in child.stderr
    with batch.run_lock(run_dir):  # released when the holder is done
        pass


def test_a_killed_parent_stops_its_worker_and_kernels(tmp_path: Path) -> None:
    """The worker's watchdog: when `talent run` dies, its worker kills what it started (a
    kernel in its own session, as jupyter starts them), so nothing keeps writing into the run."""
    import signal
    import time

    marker = tmp_path / "alive"
    kernel_py = tmp_path / "kernel.py"
    kernel_py.write_text(
        f"import time, pathlib\nwhile True:\n    pathlib.Path({str(marker)!r}).touch()\n"
        "    time.sleep(0.05)\n"
    )
    worker_py = tmp_path / "worker.py"
    worker_py.write_text(
        "import os, subprocess, sys, time\nfrom talentlib import batch\n"
        "batch.worker._watch_parent(os.getppid(), every=0.1)\n"
        f"kid = subprocess.Popen([sys.executable, {str(kernel_py)!r}], start_new_session=True)\n"
        "print(kid.pid, flush=True)\ntime.sleep(60)\n"
    )
    parent_py = tmp_path / "parent.py"
    parent_py.write_text(
        "import subprocess, sys, time\n"
        f"w = subprocess.Popen([sys.executable, {str(worker_py)!r}], stdout=subprocess.PIPE, "
        "text=True)\nprint(w.pid, w.stdout.readline().strip(), flush=True)\ntime.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, str(parent_py)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker, kernel = (int(x) for x in parent.stdout.readline().split())
    time.sleep(0.3)
    assert marker.exists() and _alive(worker) and _alive(kernel)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 5
    while time.time() < deadline and (_alive(worker) or _alive(kernel)):
        time.sleep(0.1)
    assert not _alive(worker) and not _alive(kernel)
    before = marker.stat().st_mtime_ns
    time.sleep(0.3)
    assert marker.stat().st_mtime_ns == before  # nothing writes any more


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has stopped; only its parent reaps it


def test_run_id_is_timestamp_and_hash() -> None:
    rid = batch.make_run_id("ab12cd34", datetime(2024, 5, 6, 7, 8, 9))
    assert rid == "20240506T070809-ab12cd34"
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}", batch.make_run_id(batch.short_hash({"a": 1})))


def test_notebook_parameters_only_what_the_notebook_declares(tmp_path: Path) -> None:
    plan = {
        "pipeline": {
            "parameters": {"exit_years": [2015, 2023], "years": [2010, 2020]},
            "disclosure": {
                "min_count": 7,
                "min_count_magnitude": 12,
                "dominance_n": 2,
                "dominance_k": 0.85,
            },
            "field_parameters": {"SEMI": {"exit_years": [2018, 2023]}},
        },
        "data": {"path": "/data", "scale": "tiny"},
    }
    nb = {"name": "03_career_flow", "parameters": {"roles": ["STUDENT"], "typo": 1}}
    declared = {
        "field",
        "exit_years",
        "roles",
        "min_count",
        "min_count_magnitude",
        "data_dir",
        "output_dir",
        "scale",
    }
    params, warn = batch.notebook_parameters(plan, nb, "SEMI", declared, tmp_path / "SEMI")
    assert params == {
        "exit_years": [2018, 2023],  # the field's own value wins
        "min_count": 7,
        "min_count_magnitude": 12,
        "scale": "tiny",
        "roles": ["STUDENT"],
        "typo": 1,  # named explicitly for this notebook: passed, with a warning
        "field": "SEMI",
        "data_dir": "/data",
        "output_dir": str(tmp_path / "SEMI"),
    }
    assert warn == ["03_career_flow: parameter 'typo' is not declared in the notebook"]


def test_flat_key_numbers_are_namespaced_by_notebook(tmp_path: Path) -> None:
    before = {"03_career_flow": {"a": 1}}
    (tmp_path / report.KEY_NUMBERS).write_text(json.dumps({"rank": 2}), encoding="utf-8")
    batch.worker._key_numbers_after(tmp_path, before, "01_workforce_map")
    got = json.loads((tmp_path / report.KEY_NUMBERS).read_text(encoding="utf-8"))
    assert got == {"03_career_flow": {"a": 1}, "01_workforce_map": {"rank": 2}}


def test_prepare_skips_missing_notebooks_with_a_warning(tiny_data: Path, tmp_path: Path) -> None:
    p = batch.load_pipeline(
        write_pipeline(tmp_path / "p.yaml", ["notebooks/99_not_yet.ipynb", str(CAREER)])
    )
    said: list[str] = []
    plan = batch.prepare(
        p,
        outputs=tmp_path / "out",
        data=tiny_data,
        fields=["BATT"],
        say=said.append,
        root=ROOT,
    )
    assert [nb["name"] for nb in plan.notebooks] == ["03_career_flow"]
    assert plan.missing_notebooks == ["notebooks/99_not_yet.ipynb"]
    assert any("99_not_yet" in s and "건너뜁니다" in s for s in said)
    with pytest.raises(batch.PipelineError, match="unknown field code 'XXXX'"):
        batch.prepare(
            p,
            outputs=tmp_path / "out",
            data=tiny_data,
            fields=["BATT", "XXXX"],
            say=said.append,
            root=ROOT,
        )
    assert plan.run_id.endswith(plan.plan_hash) and plan.data["inputs"]
    assert not any(k.startswith("truth") for k in plan.data["inputs"])
    q = {r["dataset"]: r for r in plan.quality}
    assert q["employment_spells"]["n_in"] == (
        q["employment_spells"]["n_valid"] + q["employment_spells"]["n_quarantined"]
    )
    with pytest.raises(batch.PipelineError, match="none of the pipeline's notebooks"):
        batch.prepare(
            batch.load_pipeline(write_pipeline(tmp_path / "q.yaml", ["nope.ipynb"])),
            outputs=tmp_path / "out",
            data=tiny_data,
            say=said.append,
            root=ROOT,
        )


def _log_span(path: Path) -> tuple[str, str]:
    stamps = [ln[:23] for ln in path.read_text(encoding="utf-8").splitlines() if ln[:4].isdigit()]
    return stamps[0], stamps[-1]


@pytest.mark.slow
def test_run_two_fields_in_parallel_failure_isolated_then_resume(
    tiny_data: Path, tmp_path: Path
) -> None:
    pipe = write_pipeline(
        tmp_path / "p.yaml",
        [str(CAREER), "notebooks/02_not_there_yet.ipynb"],
        parameters={"exit_years": [2013, 2023]},
        field_parameters={"QUANT": {"exit_years": "not years"}},  # QUANT's notebook fails
    )
    out = tmp_path / "out"
    args = ["run", "--pipeline", str(pipe), "--data", str(tiny_data), "--outputs", str(out)]
    r = talent(*args, "--fields", "BATT", "QUANT", "--workers", "2")
    assert r.returncode == 1, r.stdout + r.stderr
    fails = [ln for ln in r.stderr.splitlines() if "실패 " in ln]
    assert len(fails) == 1 and "실패 QUANT: 03_career_flow — " in fails[0], r.stderr
    assert "logs/03_career_flow.log" in fails[0]
    assert "02_not_there_yet" in r.stderr and "완료 1 · 실패 1" in r.stdout
    assert "BATT · 03_career_flow" in r.stdout and "[실패] QUANT" in r.stdout
    [run] = list(out.iterdir())
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}", run.name)

    batt = run / "internal" / "BATT"
    for rel in (
        "brief.html",
        "tables.xlsx",
        "manifest.json",
        "key_numbers.json",
        "notebooks/03_career_flow.ipynb",
        "logs/03_career_flow.log",
        "logs/field.log",
        "charts/monthly_status.svg",
        "tables/monthly_status.parquet",
    ):
        assert (batt / rel).exists(), rel
    # the release holds only what the gate stamped: no notebook, log, ledger or key numbers
    released = run / "release" / "BATT"
    files = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    stamped = {e["file"] for kind in ("tables", "charts") for e in manifest[kind].values()}
    assert files == {"brief.html", "brief.pdf", "tables.xlsx", "manifest.json", *stamped}
    assert (released / "brief.pdf").read_bytes()[:5] == b"%PDF-"  # for readers who print
    assert "tables/monthly_status.parquet" in files and "charts/monthly_status.svg" in files
    release_files = {p.name for p in (run / "release").rglob("*") if p.is_file()}
    assert not release_files & {"status.json", "key_numbers.json", "disclosure.json"}
    assert not any(n.endswith((".ipynb", ".log")) for n in release_files)
    assert manifest["parameters"]["03_career_flow"]["exit_years"] == [2013, 2023]
    assert manifest["parameters"]["03_career_flow"]["min_count"] == 5
    assert manifest["notebooks"]["03_career_flow"]["status"] == "ok"
    assert manifest["inputs"]["researchers.parquet"] and manifest["quarantine"]
    assert manifest["timings"]["03_career_flow_seconds"] > 0
    quant = json.loads((run / "internal" / "QUANT" / "status.json").read_text(encoding="utf-8"))
    assert quant["status"] == "failed" and not (run / "release" / "QUANT").exists()
    field_log = run / "internal" / "QUANT" / "logs" / "field.log"
    assert "Traceback" in field_log.read_text(encoding="utf-8")
    # both fields ran at the same time (two worker processes)
    b0, b1 = _log_span(batt / "logs" / "03_career_flow.log")
    x0, x1 = _log_span(run / "internal" / "QUANT" / "logs" / "03_career_flow.log")
    assert b0 < x1 and x0 < b1
    summary = pl.read_parquet(run / "release" / "summary" / "fields.parquet")
    assert summary.select("field_code", "status").rows() == [("BATT", "ok"), ("QUANT", "failed")]
    assert (run / "release" / "summary" / "fields.xlsx").exists()
    index = (run / "release" / "summary" / "index.html").read_text(encoding="utf-8")
    assert "이차전지" in index and "Traceback" not in index
    overview = run / "release" / "summary" / batch.SUMMARY_PDF  # the summary printed too
    assert overview.read_bytes()[:5] == b"%PDF-" and "인쇄본 overview.pdf" in r.stdout

    # --resume finds the run by its settings hash and skips what finished
    done = batt / ".done" / "03_career_flow.json"
    mtime = done.stat().st_mtime_ns
    r = talent(*args, "--fields", "BATT", "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(out.iterdir()) == [run]
    assert done.stat().st_mtime_ns == mtime
    assert "BATT · 03_career_flow 건너뜀" in r.stdout and "BATT · brief 건너뜀" in r.stdout
    runinfo = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert runinfo["fields"]["BATT"]["status"] == "ok"
    assert runinfo["fields"]["QUANT"]["status"] == "failed"  # still in the run's summary

    # other settings cannot resume this run
    other = write_pipeline(
        tmp_path / "p2.yaml", [str(CAREER)], parameters={"exit_years": [2015, 2023]}
    )
    r = talent(
        "run",
        "--pipeline",
        str(other),
        "--data",
        str(tiny_data),
        "--outputs",
        str(out),
        "--fields",
        "BATT",
        "--resume",
        "--run-id",
        run.name,
    )
    assert r.returncode == 1 and "other settings" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def _rogue_notebook(path: Path) -> Path:
    """A notebook that writes a table around report.save_tables."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('field = "BATT"\noutput_dir = None\ndata_dir = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from pathlib import Path\nimport polars as pl\n"
            "p = Path(output_dir) / 'tables'\np.mkdir(parents=True, exist_ok=True)\n"
            "pl.DataFrame({'field_code': [field], 'people': [2]}).write_parquet(p / 'raw.parquet')"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_table_that_bypassed_disclosure_fails_its_field(tiny_data: Path, tmp_path: Path) -> None:
    pipe = write_pipeline(tmp_path / "p.yaml", [str(_rogue_notebook(tmp_path / "rogue.ipynb"))])
    result = batch.run(
        pipe,
        quiet=True,
        outputs=tmp_path / "out",
        data=tiny_data,
        fields=["BATT"],
        workers=1,
        root=ROOT,
    )
    assert set(result.failed) == {"BATT"}
    [line] = batch.failure_lines(result)
    assert "brief" in line and "공개 통제 관문" in line and "raw.parquet" in line
    assert not (result.run_dir / "release" / "BATT").exists()
    assert not (result.run_dir / "internal" / "BATT" / "brief.html").exists()


def test_resume_finds_a_run_started_with_run_id(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name, h, written in [
        ("my-run", "abcd1234", "2026-12-01T10:00:00"),
        ("20261201T090000-abcd1234", "abcd1234", "2026-12-01T09:00:00"),
        ("other", "ffff0000", "2026-12-02T00:00:00"),
    ]:
        (out / name).mkdir(parents=True)
        (out / name / "pipeline.json").write_text(
            json.dumps({"plan_hash": h, "written": written}), encoding="utf-8"
        )
    found = batch.plan._runs_with_settings(out, "abcd1234")
    assert [p.name for p in found] == ["20261201T090000-abcd1234", "my-run"]  # latest last


def test_a_preset_names_the_rules_and_keys_override_it(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("notebooks: [a.ipynb]\ndisclosure: {preset: acro, dominance_k: 0.8}\n")
    d = batch.load_pipeline(p).disclosure
    assert d["min_count"] == 10 and d["dominance_k"] == 0.8 and d["method"] == "suppression"


def _batch_notebook(path: Path, code: str) -> Path:
    """A notebook the batch can run: the parameters it sets, then ``code``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('field = "BATT"\noutput_dir = None\ndata_dir = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _greedy_notebook(path: Path) -> Path:
    """A notebook that asks for 3 GB at once."""
    return _batch_notebook(path, "x = bytearray(3 * 1024**3)")


@pytest.mark.slow
def test_memory_mb_caps_a_field_and_the_field_fails_alone(tiny_data: Path, tmp_path: Path) -> None:
    """A runaway notebook hits the worker's memory cap (its kernel inherits it): its field fails
    with MemoryError in the status, the machine is not starved."""
    pipe = write_pipeline(
        tmp_path / "p.yaml", [str(_greedy_notebook(tmp_path / "greedy.ipynb"))], memory_mb=2048
    )
    assert batch.load_pipeline(pipe).memory_mb == 2048
    result = batch.run(
        pipe, quiet=True, outputs=tmp_path / "out", data=tiny_data, fields=["BATT"], workers=1,
        root=ROOT,
    )  # fmt: skip
    assert set(result.failed) == {"BATT"}
    [line] = batch.failure_lines(result)
    assert "MemoryError" in line, line
    with pytest.raises(batch.PipelineError, match="memory_mb must be at least 256"):
        batch.load_pipeline(write_pipeline(tmp_path / "q.yaml", ["a.ipynb"], memory_mb=10))


def test_a_field_kernel_is_reused_with_an_empty_namespace_and_replaced_when_it_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebooks of a field run one after another in one kernel: each starts with no name
    left from the one before and its own notebook name set, modules stay imported; a killed
    kernel is replaced by a fresh one."""
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import os, sys\n"
            "import altair, jsonschema\n"  # without the slow optional IRI checker, still working
            "ok = jsonschema.Draft7Validator({'type': 'integer'}).is_valid(3)\n"
            "print(x, 'left' in globals(), os.environ['TALENTLIB_NOTEBOOK'], os.getpid(),"
            " 'polars' in sys.modules, sys.modules.get('rfc3987_syntax', 'gone') is None, ok)\n"
            "left = 1\nimport polars"
        ),
    ]
    src = tmp_path / "nb.ipynb"
    nbformat.write(nb, src)
    kernel = batch.worker._FieldKernel(str(tmp_path))

    def run(name: str, x: int) -> list[str]:
        out = tmp_path / f"{name}.ipynb"
        pm.execute_notebook(str(src), str(out), parameters={"x": x}, kernel_name="python3",
                            progress_bar=False, km=kernel.ready_for(name))  # fmt: skip
        batch.worker._number_cells(out)
        done = nbformat.read(out, as_version=4)
        counts = [c.execution_count for c in done.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))  # numbered from 1 in every notebook
        return done.cells[-1].outputs[0]["text"].split()

    try:
        first, second = run("01_a", 10), run("02_b", 20)
        assert first[:3] == ["10", "False", "01_a"] and first[4] == "False"
        assert first[5:] == ["True", "True"]  # SLOW_OPTIONAL_IMPORTS not imported, jsonschema works
        # the same process, no name left over, its own notebook name, polars still imported
        assert second[:3] == ["20", "False", "02_b"] and second[3] == first[3]
        assert second[4] == "True"
        assert batch.worker._rss_mb(kernel.pid) > 20  # the kernel's memory is read
        kernel.km.shutdown_kernel(now=True)  # it dies
        third = run("03_c", 30)
        assert third[:3] == ["30", "False", "03_c"] and third[3] != first[3]
        # a kernel that holds more than the bound is not reused: a fresh one frees the memory
        monkeypatch.setattr(batch.worker, "KERNEL_REUSE_MAX_MB", 1)
        fourth = run("04_d", 40)
        assert fourth[:3] == ["40", "False", "04_d"] and fourth[3] != third[3]
    finally:
        kernel.close()
    assert kernel.km is None


@pytest.mark.slow
def test_a_worker_serves_fields_with_one_kernel_and_a_dead_worker_fails_only_its_field(
    tiny_data: Path, tmp_path: Path
) -> None:
    """A worker process runs field after field with one kernel (started once, not per field);
    when it dies in a field, that field fails with the worker's exit, and a fresh worker runs
    the fields left."""
    _batch_notebook(
        tmp_path / "pid.ipynb",
        "import os, pathlib, signal\n"
        "pathlib.Path(output_dir, 'kernel_pid.txt').write_text(str(os.getpid()))\n"
        "if field == 'QUANT':\n"
        "    os.kill(os.getppid(), signal.SIGKILL)  # the worker dies in this field\n",
    )
    pipe = write_pipeline(tmp_path / "p.yaml", [str(tmp_path / "pid.ipynb")])
    fields = ["BATT", "SEMI", "QUANT", "AI", "BIO"]
    result = batch.run(
        pipe, quiet=True, outputs=tmp_path / "out", data=tiny_data, fields=fields, workers=1,
        root=ROOT,
    )  # fmt: skip
    quant = result.statuses["QUANT"]
    assert quant["status"] == "failed" and "worker exited" in quant["errors"][0]["message"]
    pids = {}
    for f in fields:
        if f == "QUANT":
            continue
        st = result.statuses[f]
        assert st["steps"]["pid"]["status"] == "ok", (f, st)  # its notebook ran
        pids[f] = (result.run_dir / "internal" / f / "kernel_pid.txt").read_text()
    # one worker, one kernel for the fields before the crash, a fresh pair for those after
    assert len(set(pids.values())) == 2, pids
