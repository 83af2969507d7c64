"""``compendium replicate DIR`` and ``compendium plan``, run as a team would, in a small
scratch project (params.yaml, dvc.yaml and a data/raw/ under git; no pipeline run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scratch import ROOT, digest, run, study_params

from compendium.checks import replication
from compendium.synthesize import synthesize


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


@pytest.fixture()
def project(tmp_path) -> Path:
    """params.yaml (nothing set for one study), dvc.yaml and the paper design's data, committed."""
    dest = tmp_path / "project"
    dest.mkdir()
    (dest / "params.yaml").write_text(study_params((ROOT / "params.yaml").read_text()))
    shutil.copy2(ROOT / "dvc.yaml", dest / "dvc.yaml")
    synthesize(dest / "data" / "raw", seed=3)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "start")
    return dest


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Path:
    """A team's folder: the generator's independent design (other arms, codebook, sites)."""
    folder = tmp_path_factory.mktemp("team") / "our-study"
    synthesize(folder, seed=8, design="independent")
    return folder


def test_replicate_copies_the_folder_byte_for_byte_and_prints_what_to_review(project, team):
    done = run(project, "replicate", str(team))
    assert done.returncode == 0, done.stderr
    assert digest(project / "data" / "raw") == digest(team)
    out = done.stdout
    assert "to be completed: nothing" in out  # the generator's dataset.yaml describes the study in full
    for setting in ("arm labels: control = 'waitlist'", "primary outcome:", "covariates:", "consensus coding:"):
        assert setting in out, out
    assert "make reproduce" in out
    # the default covariates (a YAML list) are read as columns, not as the list's text
    assert "covariates: previous_activism, gender, age" in out, out
    assert "is not a column" not in out, out


def test_without_a_study_description_one_is_written_and_what_is_missing_listed(project, team, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(team, bare)
    (bare / "dataset.yaml").unlink()
    refused = run(project, "replicate", str(bare))  # the arm labels are not the contract's default
    assert refused.returncode == 2 and "participants.csv" in refused.stderr and "group" in refused.stderr
    done = run(
        project,
        "replicate",
        str(bare),
        "--control",
        "waitlist",
        "--intervention",
        "workshop",
        "--title",
        "A second study",
        "--author",
        "Ada Quill; Example University",
    )
    assert done.returncode == 0, done.stderr
    written = (project / "data" / "raw" / "dataset.yaml").read_text()
    data = yaml.safe_load(written)
    assert data["title"] == "A second study" and data["authors"] == [
        {"name": "Ada Quill", "affiliation": "Example University"}
    ]
    assert data["arms"] == {"control": "waitlist", "intervention": "workshop"}
    assert "To be completed:" in written and "setting" in written and "period" in written
    assert "to be completed: the setting" in done.stdout
    kept = {k: v for k, v in digest(project / "data" / "raw").items() if k != "dataset.yaml"}
    assert kept == digest(bare)
    assert run(project, "validate").returncode == 0


def test_every_problem_is_listed_at_once_and_data_raw_is_untouched(project, team, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(team, broken)
    p = pd.read_csv(broken / "participants.csv", dtype=str, keep_default_na=False)
    p.loc[0, "group"] = "nobody"
    p.loc[1, "age"] = "7"
    p.to_csv(broken / "participants.csv", index=False)
    s = pd.read_csv(broken / "survey.csv", dtype=str, keep_default_na=False)
    s.loc[0, "wave"] = "later"
    s.to_csv(broken / "survey.csv", index=False)
    before = digest(project / "data" / "raw")
    done = run(project, "replicate", str(broken))
    assert done.returncode == 2
    for needle in ("participants.csv", "survey.csv", "group", "age", "wave", "'later'"):
        assert needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert digest(project / "data" / "raw") == before


def test_uncommitted_changes_in_data_raw_are_not_overwritten_without_force(project, team):
    (project / "data" / "raw" / "notes.txt").write_text("our working notes\n")
    refused = run(project, "replicate", str(team))
    assert refused.returncode == 1 and "uncommitted changes" in refused.stderr and "notes.txt" in refused.stderr
    assert (project / "data" / "raw" / "notes.txt").exists()
    forced = run(project, "replicate", str(team), "--force")
    assert forced.returncode == 0, forced.stderr
    assert digest(project / "data" / "raw") == digest(team)


def test_plan_freezes_parameters_code_and_primary_outcome_before_the_outcomes(project, team):
    assert run(project, "replicate", str(team)).returncode == 0
    survey = project / "data" / "raw" / "survey.csv"
    s = pd.read_csv(survey, dtype=str, keep_default_na=False)
    s[s["wave"] == "pre"].to_csv(survey, index=False)  # outcome data not collected yet
    assert run(project, "validate").returncode == 0  # the contract allows a survey without a post wave
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "team data, pre wave")

    done = run(project, "plan")
    assert done.returncode == 0, done.stderr
    plan = json.loads((project / "reports" / "analysis-plan.json").read_text())
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["replication"]["plan_sha256"] == plan["sha256"] == replication.plan_hash(plan)
    assert plan["primary_outcome"] == params["outcomes"]["primary"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()
    assert plan["code"]["commit"] == head and plan["code"]["package_version"]
    assert plan["data"] == {"post_rows": 0, "post_rows_answered": 0, "before_outcomes": True, "raw_dir": "data/raw"}
    assert plan["sha256"] in (project / "reports" / "analysis-plan.md").read_text()
    comments = [line for line in (ROOT / "params.yaml").read_text().split("\n") if line.lstrip().startswith("#")]
    assert all(c in (project / "params.yaml").read_text() for c in comments)  # layout and comments kept

    # the run follows the plan until a parameter moves
    assert replication.compare_with_plan(plan, params, plan["sha256"])["followed"] is True
    moved = params | {"outcomes": params["outcomes"] | {"primary": "perceived_support"}}
    assert replication.compare_with_plan(plan, moved, plan["sha256"])["departures"][0]["parameter"] == (
        "outcomes.primary"
    )
    again = run(project, "plan")
    assert again.returncode == 1 and "already frozen" in again.stderr


def test_plan_after_the_outcomes_says_so(project):
    done = run(project, "plan")
    assert done.returncode == 0, done.stderr
    plan = json.loads((project / "reports" / "analysis-plan.json").read_text())
    assert plan["data"]["before_outcomes"] is False and "not frozen before the outcome data" in done.stderr
    assert "outcome data were already present" in (project / "reports" / "analysis-plan.md").read_text()


def test_set_plan_hash_keeps_the_file_and_adds_what_is_missing():
    text = 'a:\n  b: 1  # note\n\nreplication:\n  alpha: 0.05\n  plan_sha256: ""   # the plan\n'
    assert replication.set_plan_hash(text, "f" * 64) == text.replace('""', '"' + "f" * 64 + '"')
    assert yaml.safe_load(replication.set_plan_hash("a:\n  b: 1\n", "e" * 64))["replication"]["plan_sha256"] == (
        "e" * 64
    )
    added = replication.set_plan_hash("replication:\n  alpha: 0.05\nother: 1\n", "d" * 64)
    assert yaml.safe_load(added) == {"replication": {"alpha": 0.05, "plan_sha256": "d" * 64}, "other": 1}


def test_a_truth_file_missing_from_the_project_is_refused_before_copying(project, team, tmp_path):
    import shutil

    import yaml

    folder = tmp_path / "with-truth"
    shutil.copytree(team, folder)
    described = yaml.safe_load((folder / "dataset.yaml").read_text())
    described["truth_file"] = "data/elsewhere/planted_identifiers.csv"
    (folder / "dataset.yaml").write_text(yaml.safe_dump(described, sort_keys=False))
    before = digest(project / "data" / "raw") if (project / "data" / "raw").exists() else None
    done = run(project, "replicate", str(folder))
    assert done.returncode != 0 and "truth_file" in done.stderr and "Traceback" not in done.stderr, done.stderr
    after = digest(project / "data" / "raw") if (project / "data" / "raw").exists() else None
    assert after == before
