"""Where things live. Every path the pipeline reads or writes is resolved here.

The project root is, in order of preference: the ``COMPENDIUM_ROOT`` environment
variable; the nearest ancestor of the working directory holding both ``dvc.yaml`` and
``params.yaml`` (DVC starts every stage at the root); the checkout the package was
installed from. Relative paths given by the user are resolved against that root, so a
notebook runs the same whatever directory papermill starts it in.
"""

from __future__ import annotations

import os
from pathlib import Path

_MARKERS = ("dvc.yaml", "params.yaml")


def project_root() -> Path:
    env = os.environ.get("COMPENDIUM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if all((candidate / m).is_file() for m in _MARKERS):
            return candidate
    return Path(__file__).resolve().parents[3]  # src/compendium/core/paths.py -> the project


def resolve(path: str | os.PathLike[str]) -> Path:
    """An absolute path: ``path`` itself if absolute, else under the project root."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p


def relative(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the project root when it lies inside it (for messages and
    artifacts, which must never carry an absolute path)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(project_root()).as_posix()
    except ValueError:
        return p.name


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def interim_dir() -> Path:
    return project_root() / "data" / "interim"


def private_dir() -> Path:
    return project_root() / "data" / "private"


def reports_dir() -> Path:
    return project_root() / "reports"


def tables_dir() -> Path:
    return reports_dir() / "tables"


def figures_dir() -> Path:
    return reports_dir() / "figures"


# ----------------------------------------------------------------- a notebook run by hand

SCRATCH_ENV = "COMPENDIUM_SCRATCH"
"""When set (by :func:`compendium.core.stage.setup` in a notebook run by hand), every
write goes under this folder instead of the project, and reads prefer it, so a
hand-run notebook never overwrites what the pipeline committed."""


def scratch_root() -> Path | None:
    value = os.environ.get(SCRATCH_ENV)
    return Path(value).resolve() if value else None


def _in_scratch(path: Path, scratch: Path) -> Path | None:
    path = Path(path).resolve()
    if path.is_relative_to(scratch):
        return None  # already there
    try:
        return scratch / path.relative_to(project_root())
    except ValueError:
        return None  # outside the project: not ours to redirect


def for_writing(path: str | os.PathLike[str]) -> Path:
    """Where a write to ``path`` lands: the path itself, or its twin under the scratch
    folder of a hand run."""
    scratch = scratch_root()
    twin = _in_scratch(Path(path), scratch) if scratch else None
    return twin if twin is not None else Path(path)


def for_reading(path: str | os.PathLike[str]) -> Path:
    """What a read of ``path`` opens: a hand run's own output when it wrote one, else the
    pipeline's."""
    scratch = scratch_root()
    twin = _in_scratch(Path(path), scratch) if scratch else None
    return twin if twin is not None and twin.exists() else Path(path)
