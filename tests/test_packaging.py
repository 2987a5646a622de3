"""The package carries what it reads: a wheel built from the source holds every data file of the
package (contracts, taxonomies, templates, settings), and talentlib imported from that wheel,
away from the repository, finds its contracts and validates a frame."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "talentlib"
NOT_SOURCE = {".venv", "data", "outputs", ".git", "tests", "notebooks", "benchmarks", "docs"}


def package_data_files() -> set[str]:
    """Every non-Python file under talentlib/ that the package reads at run time."""
    return {
        p.relative_to(ROOT).as_posix()
        for p in PKG.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc")
        and "__pycache__" not in p.parts
        and "talentlib.egg-info" not in p.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built (no network, no isolation) from a copy of the source tree."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=lambda d, names: [
            n for n in names
            if (Path(d) == ROOT and n in NOT_SOURCE)
            or n in ("__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")
            or n.endswith(".egg-info")
        ],
    )  # fmt: skip
    out = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "-w", str(out), "-q"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (found,) = out.glob("talentlib-*.whl")
    return found


def test_the_wheel_carries_every_data_file_of_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = package_data_files()
    assert any(n.startswith("talentlib/data_contracts/taxonomy/") for n in data)
    missing = sorted(data - names)
    assert not missing, f"package data left out of the wheel (pyproject package-data): {missing}"


def test_talentlib_from_the_wheel_finds_its_contracts_away_from_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import polars as pl, talentlib, talentlib.taxonomy as t, talentlib.contracts as c\n"
        "print(talentlib.__file__)\nprint(t.contracts_dir())\n"
        "print(len(c.list_contracts()), t.fields().height)\n"
        "row = dict(birth_year=1985, degree='PHD', degree_year=2014, institution_type='UNIV',"
        " region='11')\n"
        "frame = pl.DataFrame([dict(row, researcher_id='0123456789abcdef', sex='F'),"
        " dict(row, researcher_id='fedcba9876543210', sex='X')])\n"
        "r = c.validate(frame, 'researchers')\n"
        "print(r.n_in, r.valid.height, r.quarantine['column'].to_list())\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    module, contracts, counts, checked = done.stdout.split("\n")[:4]
    assert Path(module).is_relative_to(site) and Path(contracts).is_relative_to(site)
    n_contracts, n_fields = map(int, counts.split())
    assert n_contracts >= 10 and n_fields == 12
    assert checked == "2 1 ['sex']"  # the contract's allowed values, read from the wheel
