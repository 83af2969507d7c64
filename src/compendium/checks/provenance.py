"""Provenance of a run: what went in and what it ran on.

``reports/provenance.json`` records the last git commit that changed an input of the
pipeline (code, notebooks, data, parameters, manuscript sources, lock file) and
whether those inputs had uncommitted changes when it ran, a SHA-256 of every raw
input, the parameters, the lock file's hash, the versions of the key packages,
Python and the platform. Recording the inputs' commit rather than HEAD keeps the
file stable when results are committed on top of the inputs that made them; it
still differs between machines, so it is left out of the byte-for-byte promise.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from compendium.core import paths

KEY_PACKAGES = (
    "compendium",
    "dvc",
    "papermill",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pingouin",
    "matplotlib",
    "pyarrow",
    "nbformat",
    "jupyter-client",
    "ipykernel",
    "lxml",
    "pypandoc-binary",
    "typst",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=paths.project_root(), capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


INPUTS = (
    "src",
    "notebooks",
    "data/raw",
    "data/reference",
    "manuscript",
    "params.yaml",
    "dvc.yaml",
    "requirements.lock",
    "pyproject.toml",
)
PRIVATE_PARAMS = ("names", "institutions")  # under deidentify: identifiers, never copied out


def _without_identifiers(params: dict) -> dict:
    """The parameters, with the lists of names to redact replaced by their hash."""
    clean = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    for key in PRIVATE_PARAMS:
        value = clean.get("deidentify", {}).get(key)
        if value:
            clean["deidentify"][key] = "withheld, sha256 " + hashlib.sha256(str(value).encode("utf-8")).hexdigest()
    return clean


def collect(raw_dir: str = "data/raw") -> dict:
    from compendium.core.config import load_params

    root = paths.project_root()
    raw = paths.resolve(raw_dir)
    inputs = [p for p in INPUTS if (root / p).exists()]
    commit = _git("log", "-1", "--format=%H", "--", *inputs) or None
    status = _git("status", "--porcelain", "--untracked-files=no", "--", *inputs)
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    lock = root / "requirements.lock"
    return {
        "git": {"inputs_commit": commit, "inputs_dirty": bool(status) if status is not None else None},
        "raw_inputs": {p.relative_to(raw).as_posix(): sha256(p) for p in sorted(raw.rglob("*")) if p.is_file()},
        "params": _without_identifiers(load_params()),
        "lock_sha256": sha256(lock) if lock.is_file() else None,
        "packages": versions,
        "python": sys.version.split()[0],
        "platform": {"system": platform.system(), "machine": platform.machine(), "release": platform.release()},
    }
