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
