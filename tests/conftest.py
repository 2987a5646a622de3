"""Shared fixtures: one tiny synthetic dataset per test session (deterministic seed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("CI", "1")  # quiet progress bars in tests

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
