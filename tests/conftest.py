"""Shared fixtures. The tests must pass in a clone whose ``data/raw/`` holds any
contract-conforming study, so a test of the shipped synthetic set never reads the
repository's ``data/raw/``, ``data/synthetic/`` or ``reports/``:

- ``pristine``: the shipped set written afresh by the generator (``data/raw`` and its
  truth, ``data/synthetic``) in a session folder; ``shipped_study`` loads it and
  ``raw_copy`` gives a test a writable copy of it.
- ``shipped_project``: an unrun scratch project (the repository's files with the
  pristine data); ``shipped_run``: one such project after a full pipeline run, shared
  by every test of the session that needs the shipped study's reports.
- ``as_is_run``: the repository as it is (its own data/raw) after a full run, for
  properties that hold for any data (committed reports are what a rerun gives); the
  same project as ``shipped_run`` when the repository holds the shipped study.

The helpers that build and run scratch projects are in ``scratch.py``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from scratch import ROOT, digest, make_project, reproduce, shipped_params, write_shipped


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs whole studies through the pipeline end to end (slow)")


@dataclass(frozen=True)
class Pristine:
    """The shipped synthetic set as the generator writes it (never modify it in place)."""

    raw: Path  # data/raw
    truth: Path  # data/synthetic: what only the generator knows

    @property
    def planted(self) -> Path:
        return self.truth / "planted_identifiers.csv"


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository: its code, notebooks, templates and configuration (not its data)."""
    return ROOT


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Pristine:
    raw, truth = write_shipped(tmp_path_factory.mktemp("pristine"))
    return Pristine(raw, truth)


@pytest.fixture(scope="session")
def shipped_study(pristine):
    """The shipped data set, validated (consent applied)."""
    from compendium.data.contract import load_study

    return load_study(pristine.raw, consensus_coder="coder_a")


@pytest.fixture()
def raw_copy(pristine, tmp_path: Path) -> Path:
    """A writable copy of the shipped data/raw."""
    target = tmp_path / "raw"
    shutil.copytree(pristine.raw, target)
    return target


def pristine_project(dest: Path, pristine: Pristine) -> Path:
    """A scratch project holding the shipped study, its params.yaml fitted to it."""
    project = make_project(dest, pristine.raw, pristine.truth)
    params = project / "params.yaml"
    params.write_text(shipped_params(params.read_text(), pristine.raw))
    return project


@pytest.fixture()
def shipped_project(pristine, tmp_path) -> Path:
    """An unrun scratch project with the shipped study in data/raw (a fresh one per test)."""
    return pristine_project(tmp_path / "compendium", pristine)


@pytest.fixture(scope="session")
def shipped_run(pristine, tmp_path_factory) -> Path:
    """The shipped study through the whole pipeline, once per session. Tests may read
    it and run no-op commands in it; a test that changes anything works on a copy
    (``scratch.copy_project``)."""
    return reproduce(pristine_project(tmp_path_factory.mktemp("shipped") / "compendium", pristine))


def _holds_the_shipped_study(pristine: Pristine) -> bool:
    params = (ROOT / "params.yaml").read_text()
    return (
        digest(ROOT / "data" / "raw") == digest(pristine.raw)
        and digest(ROOT / "data" / "synthetic") == digest(pristine.truth)
        and shipped_params(params, pristine.raw) == params
    )


@pytest.fixture(scope="session")
def as_is_run(pristine, tmp_path_factory, request) -> Path:
    """The repository's own study (whatever data/raw holds) through the whole pipeline."""
    if _holds_the_shipped_study(pristine):
        return request.getfixturevalue("shipped_run")
    truth = ROOT / "data" / "synthetic"
    project = make_project(
        tmp_path_factory.mktemp("as-is") / "compendium", ROOT / "data" / "raw", truth if truth.is_dir() else None
    )
    return reproduce(project)
