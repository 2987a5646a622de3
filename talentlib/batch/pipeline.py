"""A pipeline file read and checked: notebooks, fields, parameters, disclosure, dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
    from .. import privacy, taxonomy

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
        raise PipelineError(f"{at(key)}: unknown key {key!r}{did_you_mean(key, PIPELINE_KEYS)}")
    ds = raw.get("dataset") or {}
    if not isinstance(ds, dict):
        raise PipelineError(
            f"{at('dataset')}: dataset must be a mapping (registers, bibliometrics, scale, seed)"
        )
    for key in sorted(set(ds) - DATASET_KEYS):
        raise PipelineError(
            f"{at('dataset', key)}: dataset: unknown key {key!r}{did_you_mean(key, DATASET_KEYS)}"
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
            f"{did_you_mean(key, rule_keys | {'preset'})}"
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
                f"{at('fields')}: unknown field code {f!r}{did_you_mean(f, known_fields)}; "
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
                f"{did_you_mean(str(f), known_fields)}"
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


def did_you_mean(word: str, choices: Any) -> str:
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
