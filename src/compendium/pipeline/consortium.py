"""A consortium: several sites' data folders run as independent pipelines, then pooled.

Each site's folder is a complete raw-data folder under the data contract (by default
every folder under ``data/sites/``, or the list ``consortium.sites`` in params.yaml).
Every site runs the project's own DVC pipeline, unchanged, with ``data.raw_dir``
pointing at its folder. The runs are DVC experiments, so scheduling, isolation (each
run in its own temporary copy of the repository) and caching are DVC's, not this
module's:

* in parallel, ``dvc exp run --queue -n <name> -S data.raw_dir=<folder>`` per site, then
  ``dvc queue start -j N`` and a wait for the named tasks;
* sequentially, ``dvc exp run --temp -n <name> -S data.raw_dir=<folder>`` per site, one
  after the other (the same engine without the queue).

Each experiment is a git commit under ``refs/exps``; the site's Table 2 is read from it
with ``git show`` and the sites are pooled with the pipeline's own random-effects
pooling (:func:`compendium.quantitative.sites.meta_analysis`, DerSimonian and Laird
1986). The consortium report under ``reports/consortium/`` is a pure function of the
sites' Table 2 files: the parallel and the sequential runs give the same bytes.

Site folders must be known to git (committed, or at least ``git add``-ed): DVC copies
only git-tracked files into an experiment's workspace.
"""

from __future__ import annotations

import io as _io
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from compendium.core import paths
from compendium.core.io import write_table, write_text
from compendium.quantitative import sites as pooling

SITES_DIR = "data/sites"
OUT_DIR = "reports/consortium"
NAME_PREFIX = "consortium-"
TABLE2 = "reports/tables/table2_outcomes.csv"
DEFAULT_UNTIL = "02-tabulate-outcomes"  # the stage that writes Table 2; "" runs every stage


class ConsortiumError(ValueError):
    """A consortium run that cannot start or did not finish; the message says why."""


@dataclass(frozen=True)
class Site:
    name: str  # a label: the folder's name
    folder: str  # project-relative

    @property
    def experiment(self) -> str:
        return NAME_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


# --------------------------------------------------------------------------- finding the sites


def find_sites(root: Path, listed: list[str] | None = None) -> list[Site]:
    """The sites: the folders ``listed`` (params.yaml ``consortium.sites``), else every
    folder under ``data/sites/``; sorted by name, names unique."""
    if listed:
        folders = [root / f for f in listed]
    else:
        base = root / SITES_DIR
        folders = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    if len(folders) < 2:
        where = "consortium.sites in params.yaml" if listed else f"{SITES_DIR}/"
        raise ConsortiumError(f"a consortium needs at least two site folders; found {len(folders)} in {where}")
    found = []
    for folder in folders:
        if not folder.is_dir():
            raise ConsortiumError(f"{paths.relative(folder)}: no such folder (listed in consortium.sites)")
        found.append(Site(folder.name, folder.resolve().relative_to(root.resolve()).as_posix()))
    names = [s.name for s in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConsortiumError(f"site folder names must be unique; repeated: {', '.join(duplicates)}")
    return sorted(found, key=lambda s: s.name)


def check_sites(root: Path, sites: list[Site], params: dict | None = None) -> None:
    """Every site folder meets the data contract and is known to git; all problems at once."""
    from compendium.core import config
    from compendium.data.contract import DataContractError, load_study

    params = params if params is not None else config.load_params()
    problems = []
    for site in sites:
        try:
            load_study(root / site.folder, config.arms_from(params), None)
        except DataContractError as exc:
            problems.append(f"{site.folder}:\n{exc}")
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", site.folder).strip()
        if untracked or not _git(root, "ls-files", "--", site.folder).strip():
            problems.append(
                f"{site.folder}: not known to git (DVC experiments copy only git-tracked files); "
                f"run `git add {site.folder}` or commit it"
            )
    if problems:
        raise ConsortiumError("the consortium cannot start:\n" + "\n".join(problems))


# --------------------------------------------------------------------------- running


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if out.returncode:
        raise ConsortiumError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def _dvc(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    from compendium.pipeline.reproduce import dvc_env

    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=root, env=dvc_env(), capture_output=True, text=True
    )
    if check and result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ConsortiumError(f"dvc {' '.join(args)} failed:\n{tail}")
    return result


def _exp_args(site: Site, until: str) -> list[str]:
    return ["-n", site.experiment, "-S", f"data.raw_dir={site.folder}", *([until] if until else [])]


def _forget(root: Path, sites: list[Site]) -> None:
    """Remove earlier consortium experiments of these names (queued or done)."""
    existing = set(_dvc(root, "exp", "list", "--name-only", check=False).stdout.split())
    stale = [s.experiment for s in sites if s.experiment in existing]
    if stale:
        _dvc(root, "exp", "remove", *stale)
    _dvc(root, "queue", "remove", "--all", check=False)  # nothing of ours may wait in the queue


def run_parallel(
    root: Path, sites: list[Site], jobs: int, until: str, poll: float = 2.0, timeout: float = 3600
) -> None:
    """Queue one experiment per site and let ``jobs`` DVC queue workers run them."""
    for site in sites:
        _dvc(root, "exp", "run", "--queue", *_exp_args(site, until))
    _dvc(root, "queue", "start", "-j", str(jobs))
    names = {s.experiment for s in sites}
    deadline = time.monotonic() + timeout
    while True:
        status = _queue_status(root)
        mine = {n: s for n, s in status.items() if n in names}
        failed = sorted(n for n, s in mine.items() if s.lower() in ("failed", "revoked"))
        if failed:
            logs = "\n".join(_dvc(root, "queue", "logs", n, check=False).stdout[-2000:] for n in failed)
            _dvc(root, "queue", "stop", check=False)
            raise ConsortiumError(f"site run failed: {', '.join(failed)}\n{logs}")
        if len(mine) == len(names) and all(s.lower() == "success" for s in mine.values()):
            break
        if time.monotonic() > deadline:
            _dvc(root, "queue", "kill", *sorted(names), check=False)
            raise ConsortiumError(f"the site runs did not finish within {timeout:.0f} s")
        time.sleep(poll)
    _dvc(root, "queue", "stop", check=False)


def _queue_status(root: Path) -> dict[str, str]:
    """Experiment name -> task status, from ``dvc queue status``."""
    out = _dvc(root, "queue", "status", check=False).stdout
    status = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and re.fullmatch(r"[0-9a-f]{7,}", parts[0]):
            status[parts[1]] = parts[-1]
    return status


def run_sequential(root: Path, sites: list[Site], until: str) -> None:
    """One experiment per site, one after the other, each in a temporary copy."""
    for site in sites:
        _dvc(root, "exp", "run", "--temp", *_exp_args(site, until))


def experiment_refs(root: Path, sites: list[Site]) -> dict[str, str]:
    """Site name -> the commit of its experiment, on the current HEAD as baseline."""
    head = _git(root, "rev-parse", "HEAD").strip()
    refs = _git(root, "for-each-ref", "--format=%(objectname) %(refname)", f"refs/exps/{head[:2]}/{head[2:]}/")
    by_name = {ref.rsplit("/", 1)[-1]: rev for rev, ref in (line.split() for line in refs.splitlines())}
    missing = sorted(s.name for s in sites if s.experiment not in by_name)
    if missing:
        raise ConsortiumError(f"no finished experiment for site(s): {', '.join(missing)}")
    return {s.name: by_name[s.experiment] for s in sites}


# --------------------------------------------------------------------------- pooling (pure)


def stack_sites(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The sites' Table 2 files as one frame with a ``site`` column first, sites sorted."""
    frames = [t.assign(site=name) for name, t in sorted(tables.items())]
    out = pd.concat(frames, ignore_index=True)
    return out[["site", *[c for c in out.columns if c != "site"]]]


def pool(by_site: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per outcome, the random-effects pooling across sites (see
    :func:`compendium.quantitative.sites.meta_analysis`)."""
    return pooling.meta_analysis(by_site, level=level)


def report_markdown(
    sites: list[Site],
    by_site: pd.DataFrame,
    pooled: pd.DataFrame,
    until: str = "",
    verdicts: str = "",
    primary: str = "",
) -> str:
    """The consortium summary page."""
    from compendium.reporting.tables import meta_markdown

    ran = f"the analysis up to stage `{until}`" if until else "the whole analysis"
    lines = [
        "# Consortium: sites run separately, pooled across sites",
        "",
        f"{len(sites)} sites, each running {ran} on its own data folder as a DVC experiment; "
        "each site's Table 2 is pooled across sites by random effects (DerSimonian-Laird). "
        "The per-site rows are in `table2_by_site.csv`, the pooled rows in `meta_analysis.csv`.",
        "",
        "| Site | Data folder | Learners analysed (primary outcome) |",
        "|---|---|---|",
    ]
    rows = by_site[by_site["outcome"] == primary] if (by_site["outcome"] == primary).any() else by_site
    first = rows.drop_duplicates("site").set_index("site")
    for site in sites:
        row = first.loc[site.name]
        lines.append(f"| {site.name} | `{site.folder}` | {int(row.control_n) + int(row.intervention_n)} |")
    pooled_md = meta_markdown(pooled).split("\n", 1)[1].lstrip("\n")  # its own title is this section's
    lines += ["", "## Pooled across sites", "", pooled_md, ""]
    if verdicts:
        lines += [
            "## The original study's claims",
            "",
            f"{verdicts} Per site and pooled, with the rules: `replication.md` and `replication.json` here.",
            "",
        ]
    return "\n".join(lines)


def collect(root: Path, sites: list[Site], refs: dict[str, str], level: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = {}
    for site in sites:
        text = _git(root, "show", f"{refs[site.name]}:{TABLE2}")
        tables[site.name] = pd.read_csv(_io.StringIO(text))
    by_site = stack_sites(tables)
    return by_site, pool(by_site, level)


def run(
    root: Path | None = None,
    *,
    jobs: int = 2,
    sequential: bool = False,
    until: str = DEFAULT_UNTIL,
    listed: list[str] | None = None,
    level: float | None = None,
    collect_only: bool = False,
) -> Path:
    """Run every site, pool them, write ``reports/consortium/``; returns that folder.
    With ``collect_only``, pool the sites' experiments already on this commit (run
    elsewhere, e.g. on a cluster, and fetched) without running anything."""
    from compendium.core import config

    root = root or paths.project_root()
    params = config.read_params()  # checked against the schema once, for the whole run
    level = config.param("outcomes.ci_level", params) if level is None else level
    sites = find_sites(root, listed)
    if not collect_only:
        check_sites(root, sites, params)
        _forget(root, sites)
        if sequential:
            run_sequential(root, sites, until)
        else:
            run_parallel(root, sites, jobs, until)
    refs = experiment_refs(root, sites)
    by_site, pooled = collect(root, sites, refs, level)
    out = root / OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    from compendium.core.io import write_json
    from compendium.reporting.tables import by_site_markdown, meta_markdown

    write_table(by_site, "table2_by_site", by_site_markdown(by_site), folder=out)
    write_table(pooled, "meta_analysis", meta_markdown(pooled), folder=out)
    report = judge_replication(root, by_site, pooled, level, params)
    write_json(out / "replication.json", report)
    from compendium.checks import replication

    write_text(out / "replication.md", replication.markdown(report))
    write_text(
        out / "consortium.md",
        report_markdown(
            sites, by_site, pooled, until, replication.headline(report), config.param("outcomes.primary", params)
        ),
    )
    return out


def judge_replication(root: Path, by_site: pd.DataFrame, pooled: pd.DataFrame, level: float, params: dict) -> dict:
    """Each claim of the original study judged per site and pooled across the
    consortium, by the rules of ``params.yaml`` (:mod:`compendium.checks.replication`)."""
    import yaml

    from compendium.checks import replication
    from compendium.core.config import param

    doc = yaml.safe_load((root / param("verification.published", params)).read_text(encoding="utf-8"))
    rules = replication.Rules(
        alpha=param("replication.alpha", params),
        level=level,
        telescope_power=param("replication.telescope_power", params),
    )
    return replication.judge(doc, by_site, pooled, rules, primary=param("outcomes.primary", params))
