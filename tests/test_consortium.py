"""A consortium: site folders run as DVC experiments (queue, two workers) and pooled.

The pooling is checked against statsmodels' ``combine_effects`` (DerSimonian-Laird);
the parallel run against the sequential one, byte for byte.
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
import scratch
from statsmodels.stats.meta_analysis import combine_effects

from compendium.pipeline import consortium
from compendium.synthesize import synthesize


def test_sites_are_the_folders_under_data_sites_sorted(tmp_path):
    for name in ("b", "a", "c"):
        (tmp_path / "data" / "sites" / name).mkdir(parents=True)
    sites = consortium.find_sites(tmp_path)
    assert [s.name for s in sites] == ["a", "b", "c"]
    assert sites[0].folder == "data/sites/a" and sites[0].experiment == "consortium-a"


def test_a_consortium_needs_two_sites_and_unique_names(tmp_path):
    (tmp_path / "data" / "sites" / "only").mkdir(parents=True)
    with pytest.raises(consortium.ConsortiumError, match="at least two"):
        consortium.find_sites(tmp_path)
    for folder in ("x/site", "y/site"):
        (tmp_path / folder).mkdir(parents=True)
    with pytest.raises(consortium.ConsortiumError, match="repeated: site"):
        consortium.find_sites(tmp_path, ["x/site", "y/site"])
    with pytest.raises(consortium.ConsortiumError, match="no such folder"):
        consortium.find_sites(tmp_path, ["x/site", "z/missing"])


def test_queue_status_is_read_from_dvcs_table():
    text = (
        "Task     Name    Created    Status\n"
        "f4716ed  consortium-a  11:44 PM   Success\n"
        "c252d8d  consortium-b  11:44 PM   Running\n"
        "232f9af  consortium-c  11:45 PM   Failed\n\n"
        "Worker status: 0 active, 0 idle\n"
    )

    class Done:
        stdout = text

    original = consortium._dvc
    try:
        consortium._dvc = lambda *a, **k: Done()
        assert consortium._queue_status(None) == {
            "consortium-a": "Success",
            "consortium-b": "Running",
            "consortium-c": "Failed",
        }
    finally:
        consortium._dvc = original


def _table2(rows):
    cols = ["outcome", "control_events", "control_n", "control_percent", "intervention_events", "intervention_n"]
    frame = pd.DataFrame(rows, columns=cols[:2] + cols[2:3] + cols[4:])
    return frame.assign(
        control_percent=100 * frame.control_events / frame.control_n,
        intervention_percent=100 * frame.intervention_events / frame.intervention_n,
    )


def test_pooling_matches_statsmodels_dersimonian_laird():
    tables = {
        "north": _table2([("leadership_role", 3, 40, 12, 38)]),
        "south": _table2([("leadership_role", 5, 52, 19, 50)]),
        "west": _table2([("leadership_role", 2, 30, 4, 31)]),
    }
    by_site = consortium.stack_sites(tables)
    assert list(by_site["site"]) == ["north", "south", "west"]
    pooled = consortium.pool(by_site).set_index("measure")
    a = np.array([12, 19, 4.0])
    n1 = np.array([38, 50, 31.0])
    c = np.array([3, 5, 2.0])
    n0 = np.array([40, 52, 30.0])
    p1, p0 = a / n1, c / n0
    rd, var = p1 - p0, p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0
    ref = combine_effects(rd, var, method_re="dl")
    assert pooled.loc["risk_difference", "estimate"] == pytest.approx(ref.mean_effect_re, abs=1e-9)
    assert pooled.loc["risk_difference", "se"] == pytest.approx(math.sqrt(ref.var_eff_w_re), rel=1e-9)
    assert pooled.loc["risk_difference", "tau2"] == pytest.approx(max(ref.tau2, 0.0), abs=1e-12)


def _git(project, *args):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    subprocess.run(["git", *args], cwd=project, check=True, env=env, capture_output=True)


@pytest.mark.e2e
def test_three_sites_two_workers_pool_as_the_sequential_run(tmp_path):
    """Three sites of a study the project never saw (another codebook, other arm labels),
    run by two DVC queue workers, then one after the other: the same pooled bytes."""
    raw, truth = tmp_path / "seed" / "raw", tmp_path / "seed" / "truth"
    synthesize(raw, seed=11, design="independent", truth_dir=truth)
    project = scratch.make_project(tmp_path / "project", raw, params=None)
    project.joinpath("params.yaml").write_text(scratch.study_params(project.joinpath("params.yaml").read_text()))
    for i, name in enumerate(("alder", "birch", "cedar")):
        synthesize(project / "data" / "sites" / name, seed=101 + i, design="independent")
    unchecked = scratch.run(project, "consortium", "-j", "2")
    assert (
        unchecked.returncode == 2 and "not known to git" in unchecked.stderr and "data/sites/alder" in unchecked.stderr
    )
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "consortium")

    parallel = scratch.run(project, "consortium", "-j", "2")
    assert parallel.returncode == 0, parallel.stdout[-3000:] + parallel.stderr[-3000:]
    out = project / "reports" / "consortium"
    first = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert set(first) == {
        "consortium.md",
        "meta_analysis.csv",
        "meta_analysis.md",
        "replication.json",
        "replication.md",
        "table2_by_site.csv",
        "table2_by_site.md",
    }

    sequential = scratch.run(project, "consortium", "--sequential")
    assert sequential.returncode == 0, sequential.stdout[-3000:] + sequential.stderr[-3000:]
    second = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert second == first
    for path in out.iterdir():
        path.unlink()
    collected = scratch.run(project, "consortium", "--collect-only")  # the experiments are in place: pool only
    assert collected.returncode == 0, collected.stderr[-3000:]
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == first

    # each site's Table 2 is that site's own data: the analysed n per arm matches its files
    by_site = pd.read_csv(out / "table2_by_site.csv")
    assert sorted(by_site["site"].unique()) == ["alder", "birch", "cedar"]
    for name in ("alder", "birch", "cedar"):
        participants = pd.read_csv(project / "data" / "sites" / name / "participants.csv")
        consented = participants[participants["consent"].astype(str).str.lower() != "withdrawn"]
        rows = by_site[by_site["site"] == name]
        assert int(rows["control_n"].max() + rows["intervention_n"].max()) <= len(consented)
    pooled = pd.read_csv(out / "meta_analysis.csv")
    assert (pooled["sites"] == 3).any()
    # every claim the data can speak to is judged per site and pooled, with a stated rule
    report = json.loads((out / "replication.json").read_text())
    judged = {(row["claim"], row["site"]) for row in report["claims"]}
    claims = {c["claim"] for c in report["original_claims"]}
    cannot = {(c["claim"], c["site"]) for c in report["cannot_speak_to"] if c["site"]}
    for claim in claims:
        for site in ("alder", "birch", "cedar", "pooled"):
            assert (claim, site) in judged | cannot, (claim, site)
    assert all(
        row["verdict"] in ("replicated", "not replicated", "inconclusive") and row["rule"] for row in report["claims"]
    )
