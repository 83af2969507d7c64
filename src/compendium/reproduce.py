"""``compendium reproduce``: run the DVC pipeline without ever leaving half a result.

DVC removes a stage's outputs before it runs the stage. Bad input is caught by the
first stage, before any stage that writes under ``reports/`` has started; for any
other failure this wrapper puts ``reports/`` and ``dvc.lock`` back exactly as they
were before the run, so a failed run never replaces good artifacts with partial ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths
from .notebooks import DEFAULT_EPOCH

SNAPSHOT = ("reports", "dvc.lock")


def dvc_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", DEFAULT_EPOCH)
    env["DVC_NO_ANALYTICS"] = "1"
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("MPLBACKEND", "Agg")
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _snapshot(root: Path, into: Path) -> None:
    for name in SNAPSHOT:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, into / name, symlinks=True)
        elif src.is_file():
            shutil.copy2(src, into / name)


def _restore(root: Path, snapshot: Path) -> None:
    for name in SNAPSHOT:
        target, saved = root / name, snapshot / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if saved.is_dir():
            shutil.copytree(saved, target, symlinks=True)
        elif saved.is_file():
            shutil.copy2(saved, target)


def reproduce(force: bool = False, targets: list[str] | None = None) -> int:
    root = paths.project_root()
    cmd = [sys.executable, "-m", "dvc", "repro", *(["--force"] if force else []), *(targets or [])]
    with tempfile.TemporaryDirectory(prefix="compendium-snapshot-") as tmp:
        snap = Path(tmp)
        _snapshot(root, snap)
        result = subprocess.run(cmd, cwd=root, env=dvc_env(), check=False)
        if result.returncode != 0:
            _restore(root, snap)
            print(
                "\nThe pipeline failed (see the message above). reports/ and dvc.lock were put back "
                "as they were before this run; data/raw/ is never written.",
                file=sys.stderr,
            )
            return result.returncode
    return 0
