"""The committed reports/ of whatever study the repository holds (the shipped one or a
replication team's): consistent with its data/raw, and complete as the artifact
contract (``docs``: shared artifact contract) promises. Nothing here assumes the
shipped data; the reference for every count is ``replication.expected_table2``, a
computation from the CSV files that shares no code with the package."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from replication import expected_table2
from scratch import study_arms

COUNTS = ["control_events", "control_n", "intervention_events", "intervention_n"]
TABLE2_COLUMNS = [
    "outcome",
    "control_events",
    "control_n",
    "control_percent",
    "intervention_events",
    "intervention_n",
    "intervention_percent",
    "test",
    "statistic",
    "p_value",
    "p_holm",
    "risk_difference",
    "rd_ci_low",
    "rd_ci_high",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
]
TABLE1_COLUMNS = ["variable", "level", "statistic", "control", "intervention", "p_value", "smd"]
IRR_COLUMNS = ["code", "theme", "units", "percent_agreement", "cohen_kappa", "krippendorff_alpha"]
OUTCOMES = ["increased_cultural_competence", "active_participation", "leadership_role", "perceived_support"]


@pytest.fixture(scope="module")
def reports(root):
    return root / "reports"


@pytest.fixture(scope="module")
def consented(root) -> pd.DataFrame:
    p = pd.read_csv(root / "data" / "raw" / "participants.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return p[p["consent"].str.strip().str.lower() == "given"]


def test_table2_and_results_json_hold_the_counts_of_data_raw(root, reports):
    params = yaml.safe_load((root / "params.yaml").read_text())["outcomes"]
    want = expected_table2(
        root / "data" / "raw",
        cc_min=float(params["cc_min_change"]),
        support_min=float(params["support_min_mean"]),
        arms=study_arms(root),
    ).set_index("outcome")
    table = pd.read_csv(reports / "tables" / "table2_outcomes.csv").set_index("outcome")
    results = json.loads((reports / "results.json").read_text())
    assert sorted(table.index) == sorted(OUTCOMES)
    for outcome in OUTCOMES:
        for column in COUNTS:
            expected = int(want.at[outcome, column])
            assert table.at[outcome, column] == expected, (outcome, column)
            assert results[f"table2.{outcome}.{column}"] == expected, (outcome, column)


def test_table1_counts_the_consented_learners_of_each_arm(root, reports, consented):
    control, intervention = study_arms(root)
    t1 = pd.read_csv(reports / "tables" / "table1_demographics.csv")
    n = t1[t1["variable"] == "n"].iloc[0]
    assert (n["control"], n["intervention"]) == (
        (consented["group"] == control).sum(),
        (consented["group"] == intervention).sum(),
    )


def test_every_artifact_the_contract_names_is_there(reports, consented):
    tables = reports / "tables"
    for name, columns in (
        ("table1_demographics", TABLE1_COLUMNS),
        ("table2_outcomes", TABLE2_COLUMNS),
        ("irr", IRR_COLUMNS),
    ):
        assert (tables / f"{name}.md").is_file(), name
        frame = pd.read_csv(tables / f"{name}.csv")
        assert not set(columns) - set(frame.columns), (name, set(columns) - set(frame.columns))
    assert pd.read_csv(tables / "irr.csv")["code"].iloc[-1] == "ALL"
    sites = consented["site"].nunique() if "site" in consented else 1
    for name in ("table2_by_site.csv", "meta_analysis.csv"):
        assert (tables / name).is_file() == (sites > 1), (name, sites)
    figures = reports / "figures"
    pngs = {p.stem for p in figures.glob("*.png")}
    prints = {p.stem for p in [*figures.glob("*.pdf"), *figures.glob("*.svg")]}
    assert pngs and pngs == prints, pngs ^ prints
    for name in (
        "results.json",
        "manuscript.html",
        "manuscript.docx",
        "manuscript.pdf",
        "verification.md",
        "verification.json",
        "index.html",
    ):
        assert (reports / name).is_file(), name
    json.loads((reports / "results.json").read_text())
