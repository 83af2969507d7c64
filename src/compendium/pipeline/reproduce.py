"""``compendium reproduce``: run the DVC pipeline without ever leaving half a result.

DVC removes a stage's outputs before it runs the stage. Bad input is caught by the
first stage, before any stage that writes under ``reports/`` has started; for any
other failure this wrapper puts ``reports/`` and ``dvc.lock`` back exactly as they
were before the run, so a failed run never replaces good artifacts with partial ones.

While DVC runs, a warm server (:mod:`compendium.pipeline.warm`) holds the libraries that the
stages import, and the stages and their kernels are forked from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from compendium.core import paths
from compendium.core.environment import deterministic_env
from compendium.pipeline.warm import ENV
from compendium.pipeline.warm import start as start_warm

SNAPSHOT = ("reports", "dvc.lock")


def dvc_env() -> dict[str, str]:
    env = deterministic_env(os.environ)
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


_SKIP_DIRS = {".git", ".venv", ".lock-venv", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "cache", "tmp"}
FINGERPRINT = Path(".dvc") / "tmp" / "compendium-fingerprint.json"


def fingerprint(root: Path) -> str:
    """A digest of the size and modification time of every file in the project (the
    virtual environment, git's and DVC's own folders aside). Equal digests before and
    after mean nothing DVC could see has changed."""
    import hashlib

    digest = hashlib.sha256()
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP_DIRS and not entry.name.endswith(".egg-info"):
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    digest.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def reproduce(force: bool = False, targets: list[str] | None = None, warm: bool = True) -> int:
    """Run ``dvc repro``; with ``warm``, the stages start from a warm server (see
    :mod:`compendium.pipeline.warm`) instead of importing their libraries afresh."""
    from compendium.core.config import read_params

    root = paths.project_root()
    if (root / "params.yaml").is_file():  # (without one, DVC names each missing parameter)
        read_params()  # refuse a hostile params.yaml (an alias bomb) or a bad value before DVC parses it
    marker = root / FINGERPRINT
    if not force and not targets and marker.is_file() and marker.read_text() == fingerprint(root):
        print("Nothing changed since the last successful run: data and pipeline are up to date.")
        return 0
    cmd = [sys.executable, "-m", "dvc", "repro", *(["--force"] if force else []), *(targets or [])]
    with tempfile.TemporaryDirectory(prefix="compendium-snapshot-") as tmp:
        snap = Path(tmp) / "snapshot"
        snap.mkdir()
        server, env = None, dvc_env()
        started = start_warm(tmp, env) if warm else None
        if started:
            server, env[ENV] = started
        try:
            _snapshot(root, snap)
            result = subprocess.run(cmd, cwd=root, env=env, check=False)
        finally:
            if server is not None:
                server.terminate()
                server.wait()
        if result.returncode != 0:
            _restore(root, snap)
            print(
                "\nThe pipeline failed (see the message above). reports/ and dvc.lock were put back "
                "as they were before this run; data/raw/ is never written.",
                file=sys.stderr,
            )
            return result.returncode
    forget_old_versions(root, env)
    report_review(root)
    if not targets:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(fingerprint(root))
    return 0


def report_review(root: Path) -> None:
    """End a successful run by counting the de-identification candidates that still wait
    for the team's decision (they are redacted until decided)."""
    from compendium.qualitative.deidentify import read_review

    path = root / "data" / "private" / "deidentify_review.csv"
    if not path.is_file():
        return
    review = read_review(path)
    undecided = int((review["decision"].fillna("").str.strip() == "").sum())
    if undecided:
        print(
            f"De-identification: {undecided} of {len(review)} candidate word(s) await a decision in "
            f"{paths.relative(path)} (write keep or redact in its decision column; until then they are "
            "redacted)."
        )


def forget_old_versions(root: Path, env: dict[str, str] | None = None) -> bool:
    """Withdrawal erases: after a successful run, delete every object of DVC's cache
    that the workspace no longer uses (``dvc gc --workspace --force``), with the
    run-cache entries that point at them and DVC's temporary experiment state.

    DVC keeps each earlier version of ``data/interim/`` in ``.dvc/cache``; once a
    learner withdraws, the versions made before hold what they said, and a
    ``dvc push`` would upload them. The outputs of the current run are what the
    workspace uses, so they stay. Returns whether the clean-up succeeded; a failure
    is reported, not raised (the run itself succeeded).
    """
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "gc", "--workspace", "--force", "--quiet"],
        cwd=root,
        env=env or dvc_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    for leftover in (root / ".dvc" / "cache" / "runs", root / ".dvc" / "tmp" / "exps"):
        shutil.rmtree(leftover, ignore_errors=True)
    if result.returncode != 0:
        print(
            "warning: could not remove old versions from DVC's cache; run `dvc gc --workspace --force` "
            f"by hand before any `dvc push`:\n{result.stderr.strip()}",
            file=sys.stderr,
        )
        return False
    return True


def _digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


NOT_PROMISED = ("provenance.json",)  # records the commit and the machine: see README


def verify() -> int:
    """Rerun the whole pipeline on a fresh clone of the last commit and check that
    every committed artifact under reports/ comes back byte for byte (or, for a number
    on a rounding boundary, within one unit of the stated precision: see
    :mod:`compendium.checks.drift`), then that every published claim is reproduced. Returns
    the exit code."""
    import json
    import shutil

    from compendium.checks import drift
    from compendium.core.io import SIGNIFICANT_DIGITS

    root = paths.project_root()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, check=False
    ).stdout.strip()
    if status:
        print("note: the working tree has uncommitted changes; this verifies the last commit.", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="compendium-verify-") as tmp:
        scratch = Path(tmp) / "compendium"
        subprocess.run(["git", "clone", "--quiet", str(root), str(scratch)], check=True)
        committed = _digest(scratch / "reports")
        shutil.copytree(scratch / "reports", Path(tmp) / "committed")
        env = {k: v for k, v in dvc_env().items() if k != "COMPENDIUM_ROOT"}
        print("verify: forced rerun of every stage in a fresh clone ...", file=sys.stderr, flush=True)
        run = subprocess.run(
            [sys.executable, "-m", "compendium.cli", "reproduce", "--force"], cwd=scratch, env=env, check=False
        )
        if run.returncode != 0:
            print("verify: the forced rerun failed", file=sys.stderr)
            return run.returncode
        rerun = _digest(scratch / "reports")
        changed = sorted(
            n for n in set(committed) | set(rerun) if committed.get(n) != rerun.get(n) and n not in NOT_PROMISED
        )
        grades = {}
        for name in changed:
            if name not in rerun:
                grades[name] = "missing after rerun"
            elif name not in committed:
                grades[name] = "new"
            else:
                grades[name] = drift.grade(
                    (Path(tmp) / "committed" / name).read_bytes(),
                    (scratch / "reports" / name).read_bytes(),
                    Path(name).suffix,
                    SIGNIFICANT_DIGITS,
                )
        report = json.loads((scratch / "reports" / "verification.json").read_text(encoding="utf-8"))
    summary = report["summary"]
    differ = [n for n, g in grades.items() if g != drift.SAME_AT_PRECISION]
    close = [n for n, g in grades.items() if g == drift.SAME_AT_PRECISION]
    print(
        f"verify: {len(committed)} committed files under reports/: {len(committed) - len(changed)} identical, "
        f"{len(close)} {drift.SAME_AT_PRECISION} ({SIGNIFICANT_DIGITS} significant digits), {len(differ)} differ"
    )
    for name in sorted(grades):
        print(f"  - reports/{name}: {grades[name]}")
    print(
        f"verify: {summary['claims']} published claims: {summary['match']} match, {summary['mismatch']} mismatch, "
        f"{summary['not reproducible from the data']} not reproducible from the data"
    )
    for claim in report["claims"]:
        if claim["status"] != "match":
            print(f"  - {claim['id']} ({claim['where']}): printed {claim['text']}, recomputed {claim['recomputed']}")
    for name, check in report["checks"].items():
        print(f"verify: check {name}: {check['problems']} problem(s) in the published numbers")
    ok = not differ and summary["match"] == summary["claims"]
    print("verify: PASSED" if ok else "verify: FAILED")
    return 0 if ok else 1
