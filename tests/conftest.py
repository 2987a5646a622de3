"""Shared fixtures: one tiny synthetic dataset per test session (deterministic seed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("CI", "1")  # quiet progress bars in tests
# the cell-key salt of every test release (a fixed one: no secret file made in the user's home;
# tests of the secret file set TALENTLIB_CONFIG and clear this)
os.environ.setdefault("TALENTLIB_CELL_KEY_SALT", "talentlib-test-release-salt")

TINY_SEED = 7


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from talentlib import synth

    out = tmp_path_factory.mktemp("synth") / "tiny"
    synth.generate("tiny", seed=TINY_SEED, out=out, progress=False)
    return out


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from talentlib import synth

    out = tmp_path_factory.mktemp("synth") / "small"
    synth.generate("small", seed=TINY_SEED, out=out, progress=False)
    return out
