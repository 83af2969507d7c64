"""Whole studies through the whole pipeline (``compendium reproduce`` in a scratch
project), with the default params.yaml: (i) the shipped synthetic study, written afresh
by the generator, and (ii) a second study written by the generator's second mode,
whose codebook, arm labels, sites, sizes, names and wording share nothing with the
first. For each: Table 2's counts in results.json equal a computation from the CSV
files that shares no code with the package (``replication.expected_table2``), and no
artifact under reports/ holds an identifier the generator planted (its truth file) or
the id of a learner who withdrew.

Select them with ``pytest -m e2e``; ``make test`` runs them too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from replication import expected_table2
from scratch import make_project, reproduce, study_arms, study_params

pytestmark = [pytest.mark.e2e, pytest.mark.pipeline]

OUTCOMES = ["increased_cultural_competence", "active_participation", "leadership_role", "perceived_support"]
COUNTS = ["control_events", "control_n", "intervention_events", "intervention_n"]
SECOND_SEED = 5


def write_second_study(base: Path) -> tuple[Path, Path]:
    """The second data set, ``base/data/raw``, with the generator's truth in
    ``base/data/synthetic``: the generator's ``design="independent"`` mode (the one
    function to switch for another second study; ``replication.make_replication_data``
    with ``describe=True`` is a drop-in alternative)."""
    from compendium.synthesize import synthesize

    raw, truth = base / "data" / "raw", base / "data" / "synthetic"
    synthesize(raw, seed=SECOND_SEED, design="independent", truth_dir=truth)
    return raw, truth


@pytest.fixture(scope="module")
def second_data(tmp_path_factory) -> tuple[Path, Path]:
    return write_second_study(tmp_path_factory.mktemp("second"))


@pytest.fixture(scope="module")
def second_run(second_data) -> Path:
    raw, truth = second_data
    project = make_project(raw.parents[1] / "compendium", raw, truth)
    params = project / "params.yaml"
    params.write_text(study_params(params.read_text()))  # the default: nothing set for one study
    return reproduce(project)


@pytest.fixture(params=["shipped", "second"])
def study(request) -> Path:
    """A scratch project after a full run: the shipped study (the session's shared run)
    or the second study."""
    return request.getfixturevalue("shipped_run" if request.param == "shipped" else "second_run")


def _truth_file(project: Path) -> Path:
    described = project / "data" / "raw" / "dataset.yaml"
    dataset = (yaml.safe_load(described.read_text()) or {}) if described.exists() else {}
    return project / dataset.get("truth_file", "data/synthetic/planted_identifiers.csv")


def _withdrawn(project: Path) -> set[str]:
    p = pd.read_csv(
        project / "data" / "raw" / "participants.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    return set(p.loc[p["consent"].str.strip().str.lower() == "withdrawn", "participant_id"])


def test_table2_counts_in_results_json_match_the_csv_files(study):
    """Reference: replication.expected_table2, from participants.csv and survey.csv alone."""
    outcomes = yaml.safe_load((study / "params.yaml").read_text())["outcomes"]
    want = expected_table2(
        study / "data" / "raw",
        cc_min=float(outcomes["cc_min_change"]),
        support_min=float(outcomes["support_min_mean"]),
        arms=study_arms(study),
    )
    want = want.set_index("outcome")
    results = json.loads((study / "reports" / "results.json").read_text())
    got = {(o, c): results[f"table2.{o}.{c}"] for o in OUTCOMES for c in COUNTS}
    assert got == {(o, c): int(want.at[o, c]) for o in OUTCOMES for c in COUNTS}
    assert all(want.loc[o, "control_n"] > 0 and want.loc[o, "intervention_n"] > 0 for o in OUTCOMES)


def test_no_artifact_holds_a_planted_identifier_or_a_withdrawn_learner(study):
    from compendium.checks.audit import text_of

    planted = pd.read_csv(_truth_file(study), dtype=str, keep_default_na=False)["text"]
    planted = sorted({t.strip() for t in planted if t.strip()})
    gone = _withdrawn(study)
    assert len(planted) >= 10 and gone, "the study should plant identifiers and have withdrawn learners"
    needles = [re.compile(rf"(?<![\w-]){re.escape(t)}(?![\w-])") for t in [*planted, *sorted(gone)]]
    found = {}
    checked = 0
    for path in sorted((study / "reports").rglob("*")):
        text = text_of(path) if path.is_file() else None  # inside DOCX, QDPX and PDF files too
        if text is None:
            continue
        checked += 1
        hits = [n.pattern for n in needles if n.search(text)]
        if hits:
            found[path.relative_to(study).as_posix()] = hits
    assert checked > 20 and not found, found


def test_the_second_study_shares_nothing_with_the_shipped_one(shipped_study, second_data):
    """What makes the second study a test of generality: another codebook, other arm
    labels, three sites, 30-60 learners, missing ages, no consensus file, source types
    missing."""
    from compendium.data.contract import load_study

    raw, _ = second_data
    second = load_study(raw)
    assert not set(second.codebook["code"]) & set(shipped_study.codebook["code"])
    assert not set(second.codebook["theme"]) & set(shipped_study.codebook["theme"])
    assert not set(second.arms.labels) & set(shipped_study.arms.labels)
    people = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert people["site"].nunique() == 3 and 30 <= len(people) <= 60
    assert (people["age"] == "").any()
    assert not (raw / "coding" / "consensus.csv").exists()
    from compendium.data.sources import SOURCE_TYPES

    assert set(second.sources["type"]) < set(SOURCE_TYPES)  # a source type missing
