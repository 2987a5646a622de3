"""A pipeline resolved against the dataset and the notebooks on disk: the run's plan
(``pipeline.json``), written once before any field runs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import io
from .pipeline import Pipeline, PipelineError, did_you_mean

# ---------------------------------------------------------------------------------------------
# Plan: the pipeline resolved against the dataset and the notebooks on disk
# ---------------------------------------------------------------------------------------------


def short_hash(obj: Any, n: int = 8) -> str:
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
                f"the notebooks{did_you_mean(key, anywhere)}"
            )
    for nb in notebooks:
        i, spec = specs[nb["name"]]
        for key in spec.parameters:
            if key not in declared[nb["name"]]:
                raise PipelineError(
                    f"{pipeline.where('notebooks', i, 'parameters', key)}: {nb['name']} does not "
                    f"declare parameter {key!r}{did_you_mean(key, declared[nb['name']])}"
                )
    for f, params in pipeline.field_parameters.items():
        for key in params:
            if key not in anywhere:
                raise PipelineError(
                    f"{pipeline.where('field_parameters', f, key)}: field_parameters.{f}: "
                    f"parameter {key!r} is declared by none of the notebooks"
                    f"{did_you_mean(key, anywhere)}"
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
    from .. import datasets, taxonomy

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
            f"unknown field code {f!r}{did_you_mean(f, known)}; known: {' '.join(known)}"
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
    plan_hash = short_hash(settings)
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
        # an OpenAlex import that vouches for its files is counted, not validated again
        loaded = [
            datasets.load_folder(d, names, errors="record", trust_import=True) for d, names in parts
        ]
    quality = [q for f in loaded for q in f.quality().to_dicts()]
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
