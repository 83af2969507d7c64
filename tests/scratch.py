"""Scratch projects for the tests: the repository's own files (code, notebooks, dvc.yaml,
params.yaml, manuscript/, ...) with a chosen data set in ``data/raw/``, run by DVC in a
temporary folder. Nothing here reads the repository's ``data/raw/`` or ``reports/``
unless asked to (``as_is``): the tests must pass whatever study a clone holds.

The shipped synthetic set is never read from disk: :func:`write_shipped` writes a
pristine copy with the generator's recorded arguments.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# The shipped synthetic study: `compendium synthesize` with these arguments wrote the
# repository's data/raw/ (and data/synthetic/) as shipped. Recorded here, not read from
# data/raw/dataset.yaml, because a replication team's clone holds its own data there.
SHIPPED_ARGS = {"seed": 20251026, "scale": 1, "sites": 1}
SHIPPED_ARMS = ("control", "intervention")
SHIPPED_TRUTH_FILE = "data/synthetic/planted_identifiers.csv"

# Never copied into a scratch project: the study's data and everything the pipeline
# derives from them (a scratch project gets its own), and local state.
_NOT_COPIED = (
    "data/raw/",
    "data/synthetic/",
    "data/interim/",
    "data/private/",
    "reports/",
    "dvc.lock",
    ".dvc/cache/",
    ".dvc/tmp/",
    ".git/",
    ".venv/",
    ".lock-venv/",
)
_SKIP = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".lock-venv",
    "interim",
    "cache",
    "tmp",
    "__pycache__",
    ".pytest_cache",
    "*.egg-info",
    ".ipynb_checkpoints",
    "private",
)


def write_shipped(base: Path) -> tuple[Path, Path]:
    """Write the shipped synthetic set to ``base/data/raw`` and its truth (planted
    identifiers, true codes) to ``base/data/synthetic``; return both folders.

    The layout matters: the generator records the truth file in ``dataset.yaml``
    relative to the raw folder's parent, so this gives the shipped bytes exactly."""
    from compendium.synthesize import synthesize

    raw, truth = base / "data" / "raw", base / "data" / "synthetic"
    synthesize(raw, **SHIPPED_ARGS, truth_dir=truth)
    return raw, truth


def project_files(root: Path = ROOT) -> list[str]:
    """The repository's files, project-relative: tracked and untracked-but-not-ignored
    ones (work in progress counts), less the study's data and what derives from them."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        names = sorted(set(n for n in out.split("\0") if n))
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but local state
        names = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not _SKIP(folder, [d])]
            names += [Path(folder, f).relative_to(root).as_posix() for f in files if not _SKIP(folder, [f])]
    return [n for n in names if not n.startswith(_NOT_COPIED) and n != "dvc.lock" and (root / n).is_file()]


def make_project(
    dest: Path, raw: Path, truth: Path | None = None, params: dict | None = None, root: Path = ROOT
) -> Path:
    """A scratch project at ``dest``: the repository's files, ``raw`` as ``data/raw/``,
    ``truth`` (a generator's truth folder) as ``data/synthetic/``, no ``reports/`` and no
    ``dvc.lock`` (so the first run builds everything), ``params`` (dotted keys) set in
    its params.yaml. A git repository, as DVC wants one."""
    for name in project_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    shutil.copytree(raw, dest / "data" / "raw")
    if truth is not None:
        shutil.copytree(truth, dest / "data" / "synthetic")
    if params:
        path = dest / "params.yaml"
        path.write_text(set_params(path.read_text(), params))
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def copy_project(project: Path, dest: Path) -> Path:
    """A copy of a scratch project (its reports/ and dvc.lock too; not its DVC cache or
    intermediate data), for a test that changes something and reruns."""
    shutil.copytree(project, dest, ignore=_SKIP)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def shipped_params(text: str, raw: Path) -> str:
    """params.yaml as the shipped study needs it: a data-referring value that a team set
    for its own study (arm labels, stand-in coder, truth file) goes back to what fits the
    shipped data; anything else, and values that already fit, stay byte for byte."""
    params = yaml.safe_load(text) or {}
    dataset = yaml.safe_load((raw / "dataset.yaml").read_text()) if (raw / "dataset.yaml").exists() else {}
    changes: dict[str, object] = {}
    arms = params.get("arms") or {}
    for key, label in zip(("control", "intervention"), SHIPPED_ARMS):
        if key in arms and arms[key] not in ("", None, label):
            changes[f"arms.{key}"] = label
    coders = {p.stem for p in (raw / "coding").glob("coder_*.csv")}
    coder = (params.get("qualitative") or {}).get("consensus_coder")
    if coder not in (None, "") and coder not in coders:
        changes["qualitative.consensus_coder"] = ""
    deid = params.get("deidentify") or {}
    if "truth_file" in deid and deid["truth_file"] != SHIPPED_TRUTH_FILE and "truth_file" not in (dataset or {}):
        changes["deidentify.truth_file"] = SHIPPED_TRUTH_FILE
    return set_params(text, changes) if changes else text


def study_params(text: str) -> str:
    """params.yaml with nothing set for one particular study: arm labels and the stand-in
    coder left empty, so that they come from the data (dataset.yaml) as a new study's
    would with the default params.yaml."""
    params = yaml.safe_load(text) or {}
    changes: dict[str, object] = {}
    for key in ("control", "intervention"):
        if (params.get("arms") or {}).get(key):
            changes[f"arms.{key}"] = ""
    if (params.get("qualitative") or {}).get("consensus_coder"):
        changes["qualitative.consensus_coder"] = ""
    return set_params(text, changes) if changes else text


def set_params(text: str, values: dict[str, object]) -> str:
    """Set ``section.key`` values in params.yaml text, keeping its comments and layout.
    A key that is not there is an error (a test must not silently set nothing)."""
    lines = text.split("\n")
    for dotted, value in values.items():
        section, key = dotted.split(".")
        start = next((i for i, line in enumerate(lines) if re.match(rf"{re.escape(section)}:(\s|$)", line)), None)
        if start is None:
            raise KeyError(f"params.yaml has no section {section!r}")
        for i in range(start + 1, len(lines)):
            line = lines[i]
            if line and not line[0].isspace() and not line.startswith("#"):
                raise KeyError(f"params.yaml has no key {dotted!r}")
            m = re.match(rf"(\s+{re.escape(key)}:\s*)(\S.*?)?(\s+#.*)?$", line)
            if m:
                scalar = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
                lines[i] = f"{m.group(1)}{scalar}{m.group(3) or ''}"
                break
        else:
            raise KeyError(f"params.yaml has no key {dotted!r}")
    out = "\n".join(lines)
    loaded = yaml.safe_load(out)
    for dotted, value in values.items():
        section, key = dotted.split(".")
        assert loaded[section][key] == value, (dotted, loaded[section][key], value)
    return out


def run(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """``compendium <args>`` in ``project``, as a user would type it there."""
    from compendium.core.environment import deterministic_env

    env = {k: v for k, v in deterministic_env().items() if k != "COMPENDIUM_ROOT"}
    return subprocess.run(
        [sys.executable, "-m", "compendium.cli", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_dvc(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Plain ``dvc <args>`` in ``project`` (no warm server)."""
    from compendium.pipeline.reproduce import dvc_env

    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project,
        env=dvc_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def reproduce(project: Path, *args: str) -> Path:
    """Run the whole pipeline in ``project``; fail with the end of its output if it fails."""
    result = run(project, "reproduce", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def study_arms(project: Path) -> tuple[str, str]:
    """The arm labels the pipeline uses for ``project``'s data, found independently of
    the package: params.yaml ``arms`` when set, else ``arms`` in data/raw/dataset.yaml,
    else the contract's default."""
    arms = yaml.safe_load((project / "params.yaml").read_text()).get("arms") or {}
    if arms.get("control") and arms.get("intervention"):
        return str(arms["control"]), str(arms["intervention"])
    described = project / "data" / "raw" / "dataset.yaml"
    dataset = (yaml.safe_load(described.read_text()) or {}) if described.exists() else {}
    given = dataset.get("arms") or {}
    if given.get("control") and given.get("intervention"):
        return str(given["control"]), str(given["intervention"])
    return SHIPPED_ARMS


def site_table(rows):
    """Table 2 counts by site, as the pooling reads them: one (site, outcome,
    control_events, control_n, intervention_events, intervention_n) tuple per row."""
    import pandas as pd

    cols = ["site", "outcome", "control_events", "control_n", "intervention_events", "intervention_n"]
    return pd.DataFrame(list(rows), columns=cols)
