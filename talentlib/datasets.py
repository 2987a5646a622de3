"""The standard dataset folder: which file holds which contract, read and validated together.

A folder written by `talent synth` (or prepared the same way from real pseudonymized extracts)
holds one file per dataset; `load_folder` validates each against its contract, with foreign keys
checked against the datasets they reference, and keeps the counts and quarantines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import config, contracts, intake, io

# dataset → (file name, referenced datasets for foreign keys); order matters for references
LAYOUT: dict[str, tuple[str, tuple[str, ...]]] = {
    "researchers": ("researchers.parquet", ()),
    "participations": ("participations.parquet", ("researchers",)),
    "projects": ("projects.csv", ()),
    "employment_spells": ("employment_spells.parquet", ()),
    "annual_wages": ("annual_wages.parquet", ()),
    "key_table": ("key_table.parquet", ("researchers",)),
    "publications": ("publications.parquet", ()),
    "authorships": ("authorships.parquet", ("publications",)),
    "institutions": ("institutions.parquet", ()),
}
ALTERNATE_SUFFIXES = (".parquet", ".csv", ".jsonl")


def dataset_file(folder: str | Path, name: str) -> Path | None:
    """Where a dataset lives in a folder: its LAYOUT file, the same stem as CSV / Parquet /
    JSON lines, or a folder of the stem holding Parquet parts (as `talent openalex import`
    writes publications/ and authorships/); None when absent."""
    folder = Path(folder)
    mapped = intake.mapped_file(folder, name)  # DATA/intake/<name>.yaml naming a raw export
    if mapped is not None:
        return mapped
    fname = LAYOUT[name][0]
    stem = Path(fname).stem
    for cand in [folder / fname, *(folder / f"{stem}{sfx}" for sfx in ALTERNATE_SUFFIXES)]:
        if cand.is_file():
            return cand
    parts = folder / stem
    if parts.is_dir() and any(parts.glob("*.parquet")):
        return parts
    return None


def input_files(folder: str | Path, names: Iterable[str]) -> list[Path]:
    """The files the datasets ``names`` of ``folder`` are read from (each Parquet part of a
    folder of parts), their intake mappings and their contracts: what a result computed from
    them depends on (``io.file_stats`` of these is a key that changes when any of them does)."""
    from . import taxonomy

    out: list[Path] = []
    for name in names:
        f = dataset_file(folder, name)
        if f is not None:
            out += sorted(f.glob("*.parquet")) if f.is_dir() else [f]
        mapping = intake.folder_mapping(Path(folder), name)
        if mapping is not None:
            out.append(mapping)
        out.append(taxonomy.contracts_dir() / f"{name}.yaml")
    return out


@dataclass
class Folder:
    """Valid frames per dataset, the data-quality table, and the raw validation results."""

    path: Path
    valid: dict[str, pl.DataFrame] = field(default_factory=dict)
    results: dict[str, contracts.ValidationResult] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # dataset → why its file is unreadable
    keys: dict[str, str] = field(default_factory=dict)  # dataset → key of its prepared result
    # dataset → the file it was read from, relative to the folder (a mapped raw export, a CSV /
    # Parquet / JSON-lines copy or a folder of Parquet parts)
    files: dict[str, str] = field(default_factory=dict)
    # dataset → rows a `talent openalex import` vouches for (``load_folder(trust_import=True)``):
    # not read, not validated again; ``scan`` reads them
    vouched: dict[str, int] = field(default_factory=dict)

    def scan(self, name: str) -> pl.LazyFrame:
        """A vouched dataset's Parquet file or parts, as a lazy scan."""
        f = self.path / self.files[name]
        return pl.scan_parquet(f / "*.parquet" if f.is_dir() else f)

    def summary(self, name: str) -> dict[str, Any]:
        """A dataset's counts for manifests and logs (``ValidationResult.summary``; for a vouched
        one, the import's counts and who validated them)."""
        if name in self.results:
            return self.results[name].summary()
        from .openalex_import import MANIFEST

        n = self.vouched[name]
        return {
            "dataset": name,
            "contract_version": contracts.load_contract(name).version,
            "source": str(self.path / self.files[name]),
            "n_in": n,
            "n_valid": n,
            "n_quarantined": 0,
            "by_rule": {},
            "warnings": [],
            "validated_by": f"talent openalex import ({MANIFEST})",
        }

    def quality(self) -> pl.DataFrame:
        """dataset, file, n_in, n_valid, n_quarantined, rules (JSON of counts by rule)."""

        def row(
            name: str,
            counts: tuple[int, int, int] | None,
            rules: str = "{}",
            error: str | None = None,
        ) -> dict[str, Any]:
            n_in, n_valid, n_quarantined = counts or (None, None, None)
            file = self.files.get(name, LAYOUT[name][0])
            return {
                "dataset": name,
                "file": file,
                "n_in": n_in,
                "n_valid": n_valid,
                "n_quarantined": n_quarantined,
                "rules": rules,
                "error": error,
            }

        rows = []
        for name, res in self.results.items():
            by_rule = (
                dict(res.quarantine.group_by("rule").len().sort("rule").iter_rows())
                if res.n_quarantined
                else {}
            )
            counts = (res.n_in, res.n_valid, res.n_quarantined)
            rows.append(row(name, counts, json.dumps(by_rule, ensure_ascii=False)))
        # validated by the import that wrote them
        rows += [row(name, (n, n, 0)) for name, n in self.vouched.items()]
        # unreadable: nothing counted, nothing used
        rows += [row(name, None, error=message) for name, message in self.errors.items()]
        schema = {
            "dataset": pl.String,
            "file": pl.String,
            "n_in": pl.Int64,
            "n_valid": pl.Int64,
            "n_quarantined": pl.Int64,
            "rules": pl.String,
            "error": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def quarantined_by_rule(self, dataset: str) -> dict[str, int]:
        res = self.results.get(dataset)
        if res is None or not res.n_quarantined:
            return {}
        return dict(res.quarantine.group_by("rule").len().iter_rows())


def load_folder(
    path: str | Path,
    datasets: list[str] | None = None,
    *,
    errors: str = "raise",
    trust_import: bool = False,
) -> Folder:
    """Read and validate the datasets present in a folder (all of LAYOUT unless named).

    A dataset with a mapping file ``intake/<dataset>.yaml`` in the folder (see
    ``talentlib.intake``) is read from the raw export it names and mapped before validation.

    ``errors="record"`` keeps going when a file cannot be read at all (corrupt Parquet, wrong
    format): the reason goes to ``Folder.errors`` and the datasets that reference it are read
    without that foreign-key check; by default such a file raises.

    ``trust_import``: the bibliometric datasets of a `talent openalex import` folder whose
    manifest vouches for them (``openalex_import.vouched``: files unchanged since the import,
    contracts and taxonomy unchanged) are not read — tens of millions of rows that passed these
    contracts — but counted in ``Folder.vouched`` and read with ``Folder.scan``. Any other
    folder, or a changed import, is validated."""
    if errors not in ("raise", "record"):
        raise ValueError("errors must be 'raise' or 'record'")
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(
            f"dataset folder not found: {path} — check the path, or generate "
            "synthetic data with `talent synth`"
        )
    wanted = datasets or list(LAYOUT)
    folder = Folder(path=path)
    if trust_import and set(wanted) & set(BIBLIOMETRIC_DATASETS):
        from . import openalex_import

        rows, _why = openalex_import.vouched(path)
        for name, n in (rows or {}).items():
            file = dataset_file(path, name)
            if name in wanted and file is not None:
                folder.vouched[name] = n
                folder.files[name] = str(file.relative_to(path))
    for name in LAYOUT:
        if name not in wanted or name in folder.vouched:
            continue
        refs = LAYOUT[name][1]
        if dataset_file(path, name) is None:
            continue
        missing = [
            r
            for r in refs
            if r not in folder.valid and r not in folder.errors and dataset_file(path, r)
        ]
        for r in missing:  # a referenced dataset is needed to check foreign keys
            _read_into(folder, r, None, errors)
        references = {r: folder.valid[r] for r in refs if r in folder.valid}
        _read_into(folder, name, references or None, errors)
    return folder


def _read_into(
    folder: Folder, name: str, references: dict[str, pl.DataFrame] | None, errors: str
) -> None:
    file = dataset_file(folder.path, name) or folder.path / LAYOUT[name][0]
    folder.files[name] = (
        str(file.relative_to(folder.path)) if file.is_relative_to(folder.path) else str(file)
    )
    try:
        key = _prepared_key(file, name, folder) if config.prepared_dir() else None
        res = _load_prepared(name, key) if key else None
        if res is None:
            if file.is_dir():  # Parquet parts of one dataset
                parts = pl.read_parquet(file / "*.parquet")
                res = contracts.validate(parts, name, source=str(file), references=references)
            elif (mapping := intake.folder_mapping(folder.path, name)) is not None:
                res = intake.read_validated(file, mapping, references=references)
            else:
                res = io.read_validated(file, name, references=references)
            if key:
                _save_prepared(res, key)
        folder.keys[name] = key or ""
    except (contracts.ContractError, OSError, ValueError, pl.exceptions.PolarsError) as e:
        if errors == "raise":
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        folder.errors[name] = f"{file.name}: {first[:200]}"
        return
    folder.valid[name], folder.results[name] = res.valid, res


# ---------------------------------------------------------------------------------------------
# Validated once per batch: a run keeps what it validated, every notebook of every field reads it
# ---------------------------------------------------------------------------------------------


def _prepared_key(file: Path, name: str, folder: Folder) -> str:
    """What a validation result depends on: the file (path, size, modification time), the
    contract and taxonomy versions, and the keys of the datasets its foreign keys checked."""
    from . import taxonomy

    files = sorted(file.glob("*.parquet")) if file.is_dir() else [file]
    stats = io.file_stats(files)
    contract_text = (taxonomy.contracts_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    refs = {r: folder.keys.get(r, "") for r in LAYOUT[name][1]}
    mapping = intake.folder_mapping(folder.path, name)
    mapping_text = mapping.read_text(encoding="utf-8") if mapping else ""
    return io.content_key([name, stats, contract_text, taxonomy.versions(), refs, mapping_text])


def _load_prepared(name: str, key: str) -> contracts.ValidationResult | None:
    root = config.prepared_dir()
    assert root is not None
    meta_path = root / f"{name}-{key}.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        valid = pl.read_parquet(root / f"{name}-{key}.parquet")
        quarantine = pl.read_parquet(root / f"{name}-{key}.quarantine.parquet")
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None  # unreadable: validate again
    return contracts.ValidationResult(
        contract=contracts.load_contract(name),
        valid=valid,
        quarantine=quarantine,
        n_in=int(meta["n_in"]),
        source=meta.get("source"),
        warnings=list(meta.get("warnings", [])),
    )


def _save_prepared(res: contracts.ValidationResult, key: str) -> None:
    root = config.prepared_dir()
    assert root is not None
    name = res.dataset
    io.write_parquet_atomic(res.valid, root / f"{name}-{key}.parquet")
    io.write_parquet_atomic(res.quarantine, root / f"{name}-{key}.quarantine.parquet")
    meta = {"n_in": res.n_in, "source": res.source, "warnings": list(res.warnings)}
    io.write_json_atomic(meta, root / f"{name}-{key}.json")  # last: marks the entry complete


def write_quarantines(folder: Folder, out: Path) -> None:
    for name, res in folder.results.items():
        if res.n_quarantined:
            out.mkdir(parents=True, exist_ok=True)
            io.write_quarantine(res, out / f"{name}.csv")


# ---------------------------------------------------------------------------------------------
# Which folder to analyse, and who may write into it
# ---------------------------------------------------------------------------------------------

SYNTHETIC_MARKER = ".talentlib-synthetic.json"  # written by the generator: what it wrote, hashes
POSTINGS_DIR = "postings"
DEFAULT_SEED = 20240101


class DatasetError(FileNotFoundError):
    """The dataset folder is missing, incomplete, or may not be written; the message says which
    file and what to do."""


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SYNTHETIC_MARKER)


def synthetic_marker(folder: str | Path) -> dict[str, Any] | None:
    """The generator's marker of a folder (what it wrote), or None for any other folder."""
    m = Path(folder) / SYNTHETIC_MARKER
    if not m.is_file():
        return None
    try:
        info = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("files"), dict) else None


def claim_for_generation(out: str | Path) -> None:
    """Make ``out`` ready for the synthetic generator, or refuse.

    The generator may write only into a folder that does not exist, is empty, or holds exactly
    the files it wrote there before (its marker lists them with their hashes). Anything else — a
    file it did not write, or one of its files changed since — means the folder is someone's
    data: refuse, and change nothing. When allowed, the generator's old files are removed so a
    new generation never leaves stale ones behind.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out} is a file, not a folder; choose a folder for synthetic data")
    if not out.exists():
        return
    files = _files(out)
    if not files:
        return
    marker = synthetic_marker(out)
    if marker is None:
        raise DatasetError(
            f"{out} is not empty ({len(files)} files, e.g. {files[0].relative_to(out)}) and was "
            "not made by `talent synth`; refusing to write synthetic data there. Choose an empty "
            "or new folder."
        )
    owned: dict[str, Any] = marker["files"]
    for p in files:
        rel = p.relative_to(out).as_posix()
        meta = owned.get(rel)
        changed = (
            meta is None
            or p.stat().st_size != meta.get("size")
            or io.file_sha256(p) != meta.get("sha256")
        )
        if changed:
            what = "was not written by the generator" if meta is None else "changed since"
            raise DatasetError(
                f"{out / rel} {what}; refusing to regenerate synthetic data over it. Move it "
                "away, or generate into an empty folder."
            )
    for p in files:
        p.unlink()
    (out / SYNTHETIC_MARKER).unlink(missing_ok=True)


def write_synthetic_marker(
    out: str | Path, generator: dict[str, Any], known: dict[str, str] | None = None
) -> Path:
    """Record every file the generator wrote into ``out`` (size and sha256) and how; ``known``
    holds hashes the generator already computed (relative path → sha256), not read again."""
    out = Path(out)
    known = known or {}
    files = {}
    for p in _files(out):
        rel = p.relative_to(out).as_posix()
        files[rel] = {"size": p.stat().st_size, "sha256": known.get(rel) or io.file_sha256(p)}
    info = {"made_by": "talent synth", "generator": generator, "files": files}
    return io.write_json_atomic(info, out / SYNTHETIC_MARKER)


def _stale(folder: Path) -> str | None:
    """The generator version that made a synthetic folder, when it is not the current one."""
    from .synth import GENERATOR_VERSION

    marker = synthetic_marker(folder) or {}
    made = (marker.get("generator") or {}).get("generator_version")
    if made is None and (folder / "truth.json").is_file():  # made before the marker existed
        try:
            made = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["generator"][
                "generator_version"
            ]
        except (OSError, KeyError, TypeError, json.JSONDecodeError):
            made = "unknown"
    return None if made in (None, GENERATOR_VERSION) else str(made)


def present(folder: str | Path) -> list[str]:
    """The datasets of LAYOUT whose files are in ``folder`` (plus "postings" for postings/)."""
    folder = Path(folder)
    names = [n for n in LAYOUT if dataset_file(folder, n) is not None]
    if (folder / POSTINGS_DIR).is_dir():
        names.append("postings")
    return names


def default_folder(scale: str) -> Path:
    """Where the synthetic dataset of a scale lives: $TALENTLIB_DATA/<scale>."""
    return config.data_root() / scale


def ensure(
    path: str | Path | None = None,
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    *,
    generate: bool | None = None,
    progress: bool = False,
) -> Path:
    """The dataset folder to analyse — the one route from a command or notebook to data.

    - ``path`` given (a folder of real or prepared data): read as it is, never written. It must
      exist and hold at least one dataset file; otherwise a DatasetError says what is missing.
    - ``path`` None: the synthetic dataset of ``scale`` in its default place; generated there
      when missing, regenerated when an older generator made it.
    - ``generate=True`` with a ``path`` (``--data DIR --scale S``, ``talent demo --data DIR``):
      synthetic data may be generated into ``path`` — only if it is empty or was made by the
      generator (see ``claim_for_generation``).
    """
    may_generate = path is None if generate is None else generate
    out = Path(path) if path is not None else default_folder(scale)
    if not may_generate:
        if not out.is_dir():
            raise DatasetError(
                f"dataset folder not found: {out} — check the path; talentlib never creates "
                "data where real data might be (use `talent synth --out` for synthetic data)"
            )
        if not present(out):
            expected = ", ".join(f for f, _ in LAYOUT.values())
            raise DatasetError(
                f"{out} holds none of the dataset files ({expected}, {POSTINGS_DIR}/); "
                "check the path"
            )
        made = _stale(out) if synthetic_marker(out) or (out / "truth.json").exists() else None
        if made is not None:
            raise DatasetError(
                f"{out} was made by an older synthetic generator ({made}); regenerate it with "
                f"`talent synth --scale {scale} --out {out}`"
            )
        return out
    marker = synthetic_marker(out)
    if out.is_dir() and _files(out):
        stale = _stale(out)
        if marker is None:
            if path is None and (out / "truth.json").is_file() and stale is None:
                return out  # the default folder, made before the marker existed: still current
            claim_for_generation(out)  # raises: not the generator's folder
        made = (marker or {}).get("generator") or {}
        if stale is None and (path is not None or made.get("scale") == scale):
            return out  # a current synthetic folder given by path is used whatever its scale
        if made.get("scale") == scale and "seed" in made:
            seed = int(made["seed"])  # regenerate what was there, with the current generator
    generate_synthetic(scale, out, seed, progress=progress)
    return out


BIBLIOMETRIC_DATASETS = ("publications", "authorships", "institutions")


@dataclass(frozen=True)
class DataFolders:
    """The two parts of an analysis' data: the domestic registers (researchers, participations,
    projects, employment…) and the bibliometrics (publications, authorships, institutions — e.g.
    a `talent openalex import` folder). Both are the same folder unless named apart; the
    registers folder of a global-only analysis is the bibliometrics folder (it holds none)."""

    registers: Path
    bibliometrics: Path

    @property
    def separate(self) -> bool:
        return self.registers.resolve() != self.bibliometrics.resolve()


def ensure_folders(
    registers: str | Path | None = None,
    bibliometrics: str | Path | None = None,
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    *,
    generate: bool | None = None,
    progress: bool = False,
) -> DataFolders:
    """The registers and bibliometrics folders to analyse (``ensure`` for each part).

    - neither named: both are the synthetic dataset of ``scale`` (generated if missing);
    - ``registers`` only: the bibliometrics are read from the same folder;
    - ``bibliometrics`` only: global-only — no synthetic registers are invented beside real
      bibliometrics (the registers folder is the bibliometrics one, which holds none), unless
      ``generate=True`` asks for the synthetic registers of ``scale``;
    - both: each from its own folder.

    A named folder is read as it is, never written; the bibliometrics folder is never generated
    and must hold publications and authorships."""
    if bibliometrics is None:
        folder = ensure(registers, scale, seed, generate=generate, progress=progress)
        return DataFolders(folder, folder)
    bib = ensure(bibliometrics, scale, generate=False)
    require(bib, ["publications", "authorships"], purpose="the bibliometrics")
    if registers is None and not generate:
        return DataFolders(bib, bib)
    reg = ensure(registers, scale, seed, generate=generate, progress=progress)
    return DataFolders(reg, bib)


def generate_synthetic(
    scale: str, out: str | Path, seed: int = DEFAULT_SEED, *, progress: bool = False
) -> Any:
    """Generate the synthetic dataset of a scale into ``out`` (refused unless ``out`` is new,
    empty or made by the generator); returns the generator's result (rows, seconds, truth)."""
    from . import synth

    return synth.generate(scale, seed=seed, out=out, progress=progress)


def require(folder: str | Path, names: list[str] | tuple[str, ...], *, purpose: str = "") -> None:
    """Raise a DatasetError naming every file of ``names`` missing from ``folder``."""
    folder = Path(folder)

    def found(name: str) -> bool:
        if name not in LAYOUT:  # a folder such as postings/
            return (folder / name).is_dir()
        return dataset_file(folder, name) is not None

    files = {n: LAYOUT[n][0] if n in LAYOUT else f"{n}/" for n in names}
    missing = [f for n, f in files.items() if not found(n)]
    if missing:
        need = f" for {purpose}" if purpose else ""
        raise DatasetError(f"{folder} lacks {', '.join(missing)}{need}")
