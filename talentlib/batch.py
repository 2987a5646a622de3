"""The batch: every notebook of a pipeline for every field, with papermill, fields in parallel.

A pipeline (``pipelines/*.yaml``) is settings as data: notebooks, fields, parameters (shared,
per notebook, per field), disclosure thresholds and the dataset. ``prepare`` resolves it into a
plan (``outputs/<run_id>/pipeline.json``: the dataset's files and hashes, the quarantine counts,
the notebooks that exist), and ``execute`` runs one worker process per field (at most
``workers`` at a time). A worker runs the field's notebooks in order and then publishes the
field (``report.publish_field``: the disclosure gate, brief, workbook, manifest); it reports
progress as event lines to the parent and writes ``internal/<field>/status.json``. A failing field never
stops the others. Every finished step leaves a done-marker holding the hash of what it ran on,
so ``--resume`` skips exactly the work that is still valid.

Layout of a run — ``release/`` is what may leave the secure environment, ``internal/`` is not::

    outputs/<run_id>/pipeline.json, run.json, data_quality.parquet   the run's own records
    outputs/<run_id>/release/<field>/brief.html, tables.xlsx, manifest.json,
                                     tables/*.parquet, charts/*.svg   only what the gate stamped
    outputs/<run_id>/release/summary/                                  the fields side by side
    outputs/<run_id>/release/release_check.json                        the auditor's verdict
    outputs/<run_id>/internal/check/check_report.{json,md}             its cells (internal)
    outputs/<run_id>/internal/withheld_release/                        a release that failed it
    outputs/<run_id>/internal/<field>/notebooks/*.ipynb                executed notebooks
    outputs/<run_id>/internal/<field>/logs/*.log                       one per notebook + field.log
    outputs/<run_id>/internal/<field>/...                              work tables, key numbers, ledger
    outputs/<run_id>/internal/prepared/                                inputs validated once
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from . import io

EVENT = "@@talent "  # prefix of the worker's progress lines on stdout
PARENT_ENV = "TALENTLIB_BATCH_PARENT"  # the parent's pid: a worker stops when its parent is gone
PIPELINE_KEYS = {
    "name",
    "description",
    "dataset",
    "fields",
    "disclosure",
    "parameters",
    "notebooks",
    "field_parameters",
    "workers",
    "timeout_s",
    "memory_mb",
    "release_check",
    "previous_releases",
}
# what the batch does when `talent check-release` fails its release: withhold it (move release/
# to internal/withheld_release/, exit 1) or only report (the release stays; for exploration inside
# the secure environment, e.g. on the tiny set, which is too small to pass)
RELEASE_CHECKS = ("refuse", "report")
WITHHELD = "withheld_release"
REPAIR_ROUNDS = 3  # audit → secondary suppression → audit, at most this many times
CHECK_SUMMARY = "release_check.json"  # in release/: the verdict, without any cell or interval
DATASET_KEYS = {"scale", "path", "seed", "registers", "bibliometrics"}
# Parameters the batch sets itself; a notebook must declare field and output_dir. Every notebook
# of a field gets the same data: data_dir (the registers) and, where declared, bibliometrics_dir.
INJECTED = ("field", "data_dir", "output_dir", "bibliometrics_dir")
BRIEF = "brief"  # the last step of every field


class PipelineError(ValueError):
    """The pipeline file is wrong; the message says where and how to fix it."""


# ---------------------------------------------------------------------------------------------
# Pipeline definition
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of a pipeline: its path (.ipynb, or the paired .py) and its parameters."""

    path: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.path).stem


@dataclass(frozen=True)
class Pipeline:
    """A batch definition as read from YAML (see pipelines/default.yaml for the schema)."""

    name: str
    notebooks: tuple[NotebookSpec, ...]
    fields: tuple[str, ...]
    parameters: dict[str, Any]
    field_parameters: dict[str, dict[str, Any]]
    disclosure: dict[str, Any]
    dataset: dict[str, Any]
    workers: int = 2
    timeout_s: int = 1800
    memory_mb: int | None = None  # address-space cap per field worker (its kernels included)
    release_check: str = "refuse"  # RELEASE_CHECKS
    # earlier run folders a reader could hold beside this release: the gate audits them together
    previous_releases: tuple[str, ...] = ()
    source: str | None = None
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, *keys: Any) -> str:
        """file:line of a key of the pipeline file, for messages."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return f"{self.source}:{self.lines[keys[:n]]}"
        return str(self.source or "pipeline")


def load_pipeline(path: str | Path) -> Pipeline:
    """Read and check a pipeline YAML; unknown keys and bad values are errors naming the key.

    ``dataset`` names the data of every notebook (folders relative to the working directory;
    a named folder is read, never written):

    - ``{scale: S, seed: N}``: the synthetic dataset of that scale, generated if missing;
    - ``{registers: DIR}`` (or the older ``{path: DIR}``): one folder holds everything;
    - ``{registers: DIR, bibliometrics: OA}``: the domestic registers from DIR, the
      publications/authorships/institutions from OA (e.g. ``talent openalex import --out OA``);
    - ``{bibliometrics: OA}`` alone: the global part of the workforce map only — no synthetic
      registers are made up beside real bibliometrics, so only notebooks that declare
      ``bibliometrics_dir`` can run (``talent run --scale S`` adds synthetic registers on
      purpose; ``--data DIR`` names real ones)."""
    from . import privacy, taxonomy

    path = Path(path)
    if not path.exists():
        raise PipelineError(f"pipeline file not found: {path} — see pipelines/default.yaml")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
        lines = _key_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise PipelineError(f"{where}: not valid YAML ({problem})") from None

    def at(*keys: Any) -> str:
        """file:line of a key (the nearest enclosing key that has a line)."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in lines:
                return f"{path}:{lines[keys[:n]]}"
        return str(path)

    if not isinstance(raw, dict):
        raise PipelineError(
            f"{path}: the pipeline must be a mapping (keys: {sorted(PIPELINE_KEYS)})"
        )
    for key in sorted(set(raw) - PIPELINE_KEYS):
        raise PipelineError(f"{at(key)}: unknown key {key!r}{_did_you_mean(key, PIPELINE_KEYS)}")
    ds = raw.get("dataset") or {}
    if not isinstance(ds, dict):
        raise PipelineError(
            f"{at('dataset')}: dataset must be a mapping (registers, bibliometrics, scale, seed)"
        )
    for key in sorted(set(ds) - DATASET_KEYS):
        raise PipelineError(
            f"{at('dataset', key)}: dataset: unknown key {key!r}{_did_you_mean(key, DATASET_KEYS)}"
        )
    for key in ("path", "registers", "bibliometrics"):
        value = ds.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise PipelineError(
                f"{at('dataset', key)}: dataset.{key} must be a folder path, got "
                f"{str(value)[:40]!r}"
            )
    if ds.get("path") is not None and ds.get("registers") is not None:
        raise PipelineError(
            f"{at('dataset', 'registers')}: dataset: registers and path name the same folder; "
            "keep registers only"
        )
    registers = ds.pop("registers", None)  # kept as "path", the name older pipelines use
    ds = {"scale": "small", "path": None, "seed": 20240101, "bibliometrics": None, **ds}
    if registers is not None:
        ds["path"] = registers
    if ds["scale"] not in ("tiny", "small", "medium", "national"):
        raise PipelineError(
            f"{at('dataset', 'scale')}: dataset.scale must be tiny, small, medium or national"
        )
    ds["seed"] = _whole(ds["seed"], "dataset.seed", at("dataset", "seed"), minimum=0)
    disc = raw.get("disclosure") or {}
    if not isinstance(disc, dict):
        raise PipelineError(f"{at('disclosure')}: disclosure must be a mapping")
    rule_keys = set(privacy.DisclosureRules.names())
    for key in sorted(set(disc) - rule_keys - {"preset"}):
        raise PipelineError(
            f"{at('disclosure', key)}: disclosure: unknown key {key!r}"
            f"{_did_you_mean(key, rule_keys | {'preset'})}"
        )
    try:
        overrides = {k: v for k, v in disc.items() if k != "preset"}
        rules = privacy.DisclosureRules.preset(str(disc.get("preset", "default")), **overrides)
    except (TypeError, ValueError) as e:
        raise PipelineError(f"{at('disclosure')}: disclosure: {e}") from e
    known_fields = taxonomy.fields()["code"].to_list()
    fields = raw.get("fields", "all")
    if fields in (None, "all"):
        fields = known_fields
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise PipelineError(f"{at('fields')}: fields must be 'all' or a list of field codes")
    for f in fields:
        if f not in known_fields:
            raise PipelineError(
                f"{at('fields')}: unknown field code {f!r}{_did_you_mean(f, known_fields)}; "
                f"known: {' '.join(known_fields)}"
            )
    nbs = []
    for i, nb in enumerate(raw.get("notebooks") or []):
        nb = {"path": nb} if isinstance(nb, str) else nb
        if not isinstance(nb, dict) or "path" not in nb or set(nb) - {"path", "parameters"}:
            raise PipelineError(
                f"{at('notebooks', i)}: notebooks[{i}] needs 'path' (and optional 'parameters')"
            )
        if not isinstance(nb.get("parameters") or {}, dict):
            raise PipelineError(
                f"{at('notebooks', i)}: notebooks[{i}].parameters must be a mapping"
            )
        nbs.append(NotebookSpec(str(nb["path"]), dict(nb.get("parameters") or {})))
    if not nbs:
        raise PipelineError(f"{at('notebooks')}: no notebooks listed")
    for i, nb in enumerate(nbs):
        clash = set(nb.parameters) & set(INJECTED)
        if clash:
            raise PipelineError(
                f"{at('notebooks', i, 'parameters')}: {nb.name}: {sorted(clash)} are set by the "
                "batch itself"
            )
    params = raw.get("parameters") or {}
    if not isinstance(params, dict):
        raise PipelineError(f"{at('parameters')}: parameters must be a mapping")
    fp = raw.get("field_parameters") or {}
    if not isinstance(fp, dict) or not all(isinstance(v, dict) for v in fp.values()):
        raise PipelineError(
            f"{at('field_parameters')}: field_parameters maps a field code to a mapping of "
            "parameters"
        )
    for f in fp:
        if f not in known_fields:
            raise PipelineError(
                f"{at('field_parameters', f)}: field_parameters: unknown field code {f!r}"
                f"{_did_you_mean(str(f), known_fields)}"
            )
    # the batch gives every notebook of a field the same data: a value here would be overridden
    for keys, given in [
        (("parameters",), params),
        *((("field_parameters", f), v) for f, v in fp.items()),
    ]:
        for key in sorted(set(given) & set(INJECTED)):
            raise PipelineError(
                f"{at(*keys, key)}: {'.'.join(map(str, keys))}: {key!r} is set by the batch "
                "itself (name the data under dataset:)"
            )
    workers = _whole(raw.get("workers", 2), "workers", at("workers"), minimum=1)
    timeout_s = _whole(raw.get("timeout_s", 1800), "timeout_s", at("timeout_s"), minimum=1)
    memory_mb = raw.get("memory_mb")
    if memory_mb is not None:
        memory_mb = _whole(memory_mb, "memory_mb", at("memory_mb"), minimum=256)
    previous = raw.get("previous_releases") or []
    if isinstance(previous, str) or not all(isinstance(x, str) for x in previous):
        raise PipelineError(
            f"{at('previous_releases')}: previous_releases is a list of earlier run folders"
        )
    for k, prev in enumerate(previous):
        if not Path(prev).is_dir():
            raise PipelineError(
                f"{at('previous_releases', k)}: previous_releases: {prev} is not a run folder"
            )
    release_check = raw.get("release_check", "refuse")
    if release_check not in RELEASE_CHECKS:
        raise PipelineError(
            f"{at('release_check')}: release_check must be refuse or report, not {release_check!r}"
        )
    return Pipeline(
        name=str(raw.get("name") or path.stem),
        notebooks=tuple(nbs),
        fields=tuple(fields),
        parameters=dict(params),
        field_parameters={k: dict(v) for k, v in fp.items()},
        disclosure=dict(sorted(rules.settings().items())),
        dataset=ds,
        workers=workers,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        release_check=str(release_check),
        previous_releases=tuple(str(x) for x in previous),
        source=str(path),
        lines=lines,
    )


def _key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """(key, subkey, list index, …) → 1-based line of every key in a YAML document."""
    out: dict[tuple[Any, ...], int] = {}

    def walk(node: Any, prefix: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*prefix, k.value)
                out[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*prefix, i)] = v.start_mark.line + 1
                walk(v, (*prefix, i))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return out


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _whole(value: Any, name: str, where: str, *, minimum: int) -> int:
    """A whole number from YAML, or a PipelineError naming the key, file and line."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PipelineError(f"{where}: {name} must be a whole number, got {str(value)[:40]!r}")
    if value < minimum:
        raise PipelineError(f"{where}: {name} must be at least {minimum}, got {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Plan: the pipeline resolved against the dataset and the notebooks on disk
# ---------------------------------------------------------------------------------------------


def _hash(obj: Any, n: int = 8) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def make_run_id(plan_hash: str, now: datetime | None = None) -> str:
    """Timestamp plus a short hash of the settings (CONVENTIONS: outputs/<run_id>/)."""
    return f"{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%S')}-{plan_hash}"


def _resolve_notebook(path: str, roots: list[Path]) -> Path | None:
    """The .ipynb to run: the path as given, else the paired .ipynb / .py (jupytext), looked up
    under each root in turn (the working directory, then the pipeline's repository)."""
    for root in roots:
        p = Path(path)
        p = p if p.is_absolute() else root / p
        candidates = [p] if p.suffix else []
        candidates += [p.with_suffix(".ipynb"), p.with_suffix(".py")]
        for c in candidates:
            if c.exists() and c.suffix in (".ipynb", ".py"):
                return c.resolve()
    return None


@dataclass
class Plan:
    """What a run will do; written as pipeline.json so that workers (and people) can read it."""

    run_id: str
    run_dir: Path
    data: dict[str, Any]
    pipeline: dict[str, Any]
    notebooks: list[dict[str, Any]]
    fields: list[str]
    missing_notebooks: list[str]
    unknown_fields: list[str]
    quality: list[dict[str, Any]]
    workers: int
    plan_hash: str
    all_fields: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "plan_hash": self.plan_hash,
            "pipeline": self.pipeline,
            "data": self.data,
            "notebooks": self.notebooks,
            "fields": self.all_fields,  # every field this run folder has been asked for
            "missing_notebooks": self.missing_notebooks,
            "quality": self.quality,
            "workers": self.workers,
        }


DATA_SUFFIXES = (
    ".parquet",
    ".csv",
    ".tsv",
    ".txt",
    ".jsonl",
    ".ndjson",
    ".json",
    ".gz",
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
)


# not inputs: the generator's planted truth and marker, an importer's state and quarantine
NOT_INPUTS = ("truth", "truth.json", "_state", "quarantine", ".talentlib-synthetic.json")


def _dataset_inputs(data: Path) -> dict[str, str]:
    """sha256 of every data file of the folder (what NOT_INPUTS names excluded)."""
    return {
        p.relative_to(data).as_posix(): io.file_sha256(p)
        for p in sorted(data.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in DATA_SUFFIXES
        and p.relative_to(data).parts[0] not in NOT_INPUTS
        and not p.name.startswith(".")
    }


PREPARED_ENV = "TALENTLIB_PREPARED"


def prepared_dir(run_dir: Path) -> Path:
    """Where a run keeps the inputs it validated once: its internal folder (never the data
    folder, never the release); entries are keyed by each file's size and time and the
    contract, so a resumed run reuses them and a changed file is validated anew."""
    return Path(run_dir).resolve() / "internal" / "prepared"


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _runs_with_settings(outputs: Path, plan_hash: str) -> list[Path]:
    """Run folders made with these settings, oldest first — also those named by --run-id."""
    found = []
    for p in outputs.glob("*/pipeline.json"):
        try:
            info = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if info.get("plan_hash") == plan_hash:
            found.append((str(info.get("written", "")), p.parent.name, p.parent))
    return [p for _, _, p in sorted(found)]


def declared_parameters(path: str | Path) -> set[str]:
    """The parameters a notebook declares in its cell tagged `parameters` (.ipynb or jupytext .py)."""
    import papermill as pm

    path = Path(path)
    if path.suffix == ".py":
        import tempfile

        import jupytext

        with tempfile.TemporaryDirectory() as tmp:
            ipynb = Path(tmp) / f"{path.stem}.ipynb"
            jupytext.write(jupytext.read(path), ipynb)
            return set(pm.inspect_notebook(str(ipynb)))
    return set(pm.inspect_notebook(str(path)))


def check_parameters(pipeline: Pipeline, notebooks: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Every parameter a pipeline sets must be declared by the notebook it goes to (a typo would
    otherwise be dropped silently); errors name the key, the file and the line. Returns the
    parameters each notebook declares."""
    declared = {nb["name"]: declared_parameters(nb["path"]) for nb in notebooks}
    anywhere = set().union(*declared.values()) | {"scale"}
    specs = {nb.name: (i, nb) for i, nb in enumerate(pipeline.notebooks)}
    for key in pipeline.parameters:
        if key not in anywhere:
            raise PipelineError(
                f"{pipeline.where('parameters', key)}: parameter {key!r} is declared by none of "
                f"the notebooks{_did_you_mean(key, anywhere)}"
            )
    for nb in notebooks:
        i, spec = specs[nb["name"]]
        for key in spec.parameters:
            if key not in declared[nb["name"]]:
                raise PipelineError(
                    f"{pipeline.where('notebooks', i, 'parameters', key)}: {nb['name']} does not "
                    f"declare parameter {key!r}{_did_you_mean(key, declared[nb['name']])}"
                )
    for f, params in pipeline.field_parameters.items():
        for key in params:
            if key not in anywhere:
                raise PipelineError(
                    f"{pipeline.where('field_parameters', f, key)}: field_parameters.{f}: "
                    f"parameter {key!r} is declared by none of the notebooks"
                    f"{_did_you_mean(key, anywhere)}"
                )
    return declared


def prepare(
    pipeline: Pipeline,
    *,
    outputs: str | Path = "outputs",
    fields: list[str] | None = None,
    data: str | Path | None = None,
    scale: str | None = None,
    workers: int | None = None,
    run_id: str | None = None,
    resume: bool = False,
    root: str | Path | None = None,
    say: Callable[[str], None] = print,
) -> Plan:
    """Resolve the dataset (generated if missing), hash its files, validate it once for the
    quarantine counts, find the notebooks, and choose (or find, with ``resume``) the run folder."""
    from . import datasets, taxonomy

    root = Path(root or Path.cwd()).resolve()
    ds = dict(pipeline.dataset)
    if data:
        ds["path"] = str(data)
    if scale:
        ds["scale"], ds["path"] = scale, (str(data) if data else None)
    # a folder given to read is never written; synthetic data only where a scale asks for it,
    # or where no data is named at all (never beside named bibliometrics: see load_pipeline)
    bib_given = ds.get("bibliometrics")
    if bib_given is not None:
        try:
            datasets.ensure(bib_given, generate=False)
            datasets.require(bib_given, ["publications", "authorships"], purpose="bibliometrics")
        except datasets.DatasetError as e:
            raise PipelineError(
                f"{pipeline.where('dataset', 'bibliometrics')}: dataset.bibliometrics: {e}"
            ) from e
    try:
        folders = datasets.ensure_folders(
            ds["path"],
            bib_given,
            ds["scale"],
            seed=ds["seed"],
            generate=bool(scale) or (ds["path"] is None and bib_given is None),
        )
    except datasets.DatasetError as e:
        raise PipelineError(str(e)) from e
    data_dir, bib_dir = folders.registers.resolve(), folders.bibliometrics.resolve()
    global_only = bib_given is not None and ds["path"] is None and not scale
    inputs = _dataset_inputs(data_dir)
    if folders.separate:  # the imported works are inputs too (hashed, in every manifest)
        inputs.update({f"bibliometrics:{k}": v for k, v in _dataset_inputs(bib_dir).items()})

    notebooks, missing = [], []
    roots = [root]
    if pipeline.source:
        roots.append(Path(pipeline.source).resolve().parent.parent)
    for nb in pipeline.notebooks:
        p = _resolve_notebook(nb.path, roots)
        if p is None:
            missing.append(nb.path)
            say(f"경고: 노트북 {nb.path}이(가) 아직 없어 건너뜁니다")
            continue
        notebooks.append({"name": nb.name, "path": str(p), "parameters": nb.parameters})
    if not notebooks:
        raise PipelineError("none of the pipeline's notebooks exists: " + ", ".join(missing))
    declared = check_parameters(pipeline, notebooks)
    registers_only = [
        n["name"] for n in notebooks if "bibliometrics_dir" not in declared[n["name"]]
    ]
    if global_only and registers_only:
        raise PipelineError(
            f"{pipeline.where('dataset', 'bibliometrics')}: dataset names bibliometrics only, "
            f"but {', '.join(registers_only)} read(s) the domestic registers; name them with "
            "dataset.registers (or run with --data DIR, or --scale S for synthetic ones), or "
            "list only the workforce map under notebooks"
        )
    if workers is not None and workers < 1:
        raise PipelineError("--workers must be at least 1")
    wanted = list(fields) if fields else list(pipeline.fields)
    known = taxonomy.fields()["code"].to_list()
    unknown = [f for f in wanted if f not in known]
    for f in unknown:
        raise PipelineError(
            f"unknown field code {f!r}{_did_you_mean(f, known)}; known: {' '.join(known)}"
        )

    settings = {
        "pipeline": pipeline.name,
        "notebooks": [(nb.name, nb.parameters) for nb in pipeline.notebooks],
        "parameters": pipeline.parameters,
        "field_parameters": pipeline.field_parameters,
        "disclosure": pipeline.disclosure,
        "dataset": {"path": str(data_dir), "scale": ds["scale"], "inputs": inputs},
    }
    if folders.separate:
        settings["dataset"]["bibliometrics"] = str(bib_dir)
    plan_hash = _hash(settings)
    outputs = Path(outputs)
    run_dir = None
    if run_id:
        run_dir = outputs / run_id
        if run_dir.exists() and not resume:
            raise PipelineError(f"run folder {run_dir} exists; add --resume to continue it")
    elif resume:
        previous = _runs_with_settings(outputs, plan_hash)
        if previous:
            run_dir = previous[-1]
        else:
            say("이어서 실행할 같은 설정의 실행이 없어 새로 시작합니다")
    while run_dir is None or (not resume and not run_id and run_dir.exists()):
        if run_dir is not None:  # the same settings started within the same second
            time.sleep(1.0)
        run_dir = outputs / make_run_id(plan_hash)
    # validated once for the whole run, kept in the run's internal folder: the notebooks of
    # every field read these results instead of validating again
    prepared = prepared_dir(run_dir)
    bib_names = list(datasets.BIBLIOMETRIC_DATASETS)
    parts: list[tuple[Path, list[str] | None]] = (
        [(data_dir, [n for n in datasets.LAYOUT if n not in bib_names]), (bib_dir, bib_names)]
        if folders.separate
        else [(data_dir, None)]
    )
    with _env(PREPARED_ENV, str(prepared)):  # a bad file fails only its users
        loaded = [datasets.load_folder(d, names, errors="record") for d, names in parts]
    quality = [q for f in loaded if f.results or f.errors for q in f.quality().to_dicts()]
    for name, message in ((n, m) for f in loaded for n, m in f.errors.items()):
        say(f"경고: {name} 자료를 읽을 수 없어 이 자료가 필요한 노트북은 실패합니다 — {message}")
    prior_fields: list[str] = []
    if (run_dir / "pipeline.json").exists():
        prior = json.loads((run_dir / "pipeline.json").read_text(encoding="utf-8"))
        if prior.get("plan_hash") != plan_hash:
            raise PipelineError(
                f"run {run_dir.name} was made with other settings (dataset, notebooks, parameters "
                "or disclosure rules); start a new run instead of --resume"
            )
        prior_fields = prior.get("fields", [])
    src = Path(pipeline.source) if pipeline.source else None
    return Plan(
        run_id=run_dir.name,
        run_dir=run_dir.resolve(),
        data={
            "path": str(data_dir),
            "bibliometrics": str(bib_dir),  # the same folder unless the pipeline names it apart
            "scale": ds["scale"],
            "seed": ds["seed"],
            "inputs": inputs,
            "prepared": str(prepared),
        },
        pipeline={
            "name": pipeline.name,
            "source": str(src) if src else None,
            "sha256": io.file_sha256(src) if src and src.exists() else None,
            "parameters": pipeline.parameters,
            "field_parameters": pipeline.field_parameters,
            "disclosure": pipeline.disclosure,
            "timeout_s": pipeline.timeout_s,
            "memory_mb": pipeline.memory_mb,
            "release_check": pipeline.release_check,
            "previous_releases": list(pipeline.previous_releases),
            "root": str(root),
        },
        notebooks=notebooks,
        fields=list(dict.fromkeys(wanted)),
        all_fields=list(dict.fromkeys([*prior_fields, *wanted])),
        missing_notebooks=missing,
        unknown_fields=unknown,
        quality=quality,
        workers=workers or pipeline.workers,
        plan_hash=plan_hash,
    )


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
    from . import privacy

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


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError: the notebook's own exception
        cell = getattr(exc, "exec_count", None)
        evalue = str(getattr(exc, "evalue", "")).strip().splitlines()
        return f"{ename}: {evalue[0] if evalue else ''}" + (f" (셀 {cell})" if cell else "")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _key_numbers_after(field_dir: Path, before: dict[str, Any], nb_name: str) -> None:
    """Keep key_numbers.json namespaced by notebook, also when a notebook wrote it flat."""
    from . import report

    path = field_dir / report.KEY_NUMBERS
    if not path.exists():
        return
    now = json.loads(path.read_text(encoding="utf-8"))
    if nb_name not in now:  # a flat file written by this notebook replaced the sidecar
        merged = {**before, nb_name: {k: v for k, v in now.items() if k not in before}}
        io.write_json_atomic(merged, path)


# Chromiums printing the briefs at once (one page after another each): two use a small
# machine's both cores; a Chromium's start is most of one print's time
PRINTERS = 2


def _print_and_release(
    run_dir: Path,
    fields: Iterable[str],
    publish: Callable[[str], bool] | None = None,
    write: Callable[[str], None] = print,
) -> None:
    """Print each field's brief.pdf and release the field. The workers publish HTML only: the
    parent prints every PDF once, at the end (the second pass would otherwise print each brief
    twice), with a few Chromiums for all briefs, while the next brief is published
    (``publish(field)`` → False: leave that field as it is)."""
    from . import printing, report

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
            write(f"  {f} · 인쇄본을 공개하지 못했습니다: {_one_line(exc)}")


def _print_summary(summary_dir: Path) -> None:
    """overview.pdf beside the 12-field summary page, for readers who print."""
    from . import printing

    page, pdf = summary_dir / "index.html", summary_dir / SUMMARY_PDF
    pdf.unlink(missing_ok=True)  # never a PDF of an earlier summary
    err = printing.print_all([(page, pdf)], browsers=1)[pdf].exception()
    if err is not None:
        logging.getLogger("talentlib.batch").warning("%s not written: %s", SUMMARY_PDF, err)


SUMMARY_PDF = "overview.pdf"


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
        from . import report

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

    from . import privacy, report

    run_dir = Path(run_dir)
    plan = json.loads((run_dir / "pipeline.json").read_text(encoding="utf-8"))
    field_dir = field_workdir(run_dir, field_code)
    logs = field_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (field_dir / "notebooks").mkdir(exist_ok=True)
    status: dict[str, Any] = {"field": field_code, "status": "ok", "errors": [], "steps": {}}
    flog = logging.getLogger(f"talentlib.batch.{field_code}")
    t_field = time.perf_counter()
    inputs_hash = _hash(plan["data"]["inputs"], 16)
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
                h = _hash(
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
                msg = _one_line(exc)
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
            h = _hash(
                {
                    "notebooks": nb_hashes,
                    # the rules as published: a new salt (salt_id) makes new briefs
                    "disclosure": privacy.DisclosureRules(
                        **plan["pipeline"]["disclosure"]
                    ).public(),
                    "report": _hash(
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
                    # the parent prints the PDF once every brief is final (_print_and_release)
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
                    msg = _one_line(exc)
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


SERVE = "--serve"  # a worker that runs the fields the parent sends it, one after another
SERVED = "served"  # its event: a field is finished (its status.json is written)


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
                current, "worker", _one_line(exc), f"{INTERNAL}/{current}/logs/worker.log"
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


def _compare_fields(
    plan: Plan, statuses: dict[str, dict[str, Any]], write: Callable[[str], None]
) -> list[str]:
    """The second pass: with every field's key numbers in hand, each brief is written again so
    that its findings compare the field with the others of this same run (never with numbers
    from another run: every compared number is in this release's own tables). A field whose
    second pass fails keeps its first brief, which states its own numbers only."""
    from . import findings, report

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
    from . import privacy, report

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
            write(f"  {f} · 분야 비교 문장을 넣지 못했습니다: {_one_line(exc)}")
            return False
        return True

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first pass already logged them
        _print_and_release(run_dir, fields, publish, write)


def _execute(plan: Plan, *, quiet: bool, say: Callable[[str], None]) -> RunResult:
    from tqdm import tqdm

    from . import report

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
    _print_and_release(
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
    _print_summary(summary_dir)
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
        _print_summary(
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
    from . import audit

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


if __name__ == "__main__":
    sys.exit(main())
