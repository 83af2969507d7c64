"""Shared fixtures: the shipped data, fresh synthetic data and small hand-made raw folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped_study():
    """The shipped data set, validated (consent applied)."""
    from compendium.contract import load_study

    return load_study(SHIPPED_RAW, consensus_coder="coder_a")


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data/raw."""
    target = tmp_path / "raw"
    shutil.copytree(SHIPPED_RAW, target)
    return target
