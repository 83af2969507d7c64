"""Reporting a checker can read: every test the manuscript reports is extracted by the
Python port of statcheck (Nuijten et al. 2016) and found consistent; the primary
outcome, the analysis population and the missing-data sensitivity analysis are stated.

The statistics are computed by the package from studies generated into a temporary
folder (the shipped design and an independent one: other arm labels, three sites,
missing values, Fisher's test); the rest of results.json is the hand-made one of
test_manuscript."""

from __future__ import annotations

import re
import warnings

import pytest
from test_manuscript import make_results, render

from compendium.quantitative import effects, outcomes
from compendium.reporting import tables

statcheck_st = pytest.importorskip("statcheck.st")


def run_statcheck(text: str):
    """statcheck.st.statcheck on one text. statcheck 0.0.7 leaves the degrees of freedom
    as strings under pandas 3 (its chained assignment no longer writes, Copy-on-Write), so
    they are made numbers before its own process_stats computes the p-value."""
    from statcheck.process_stats import process_stats

    def numeric(x):
        try:
            return float(x)
        except (TypeError, ValueError):
            return x

    def shim(test_type, test_stat, df1, df2, *args, **kwargs):
        return process_stats(test_type, numeric(test_stat), numeric(df1), numeric(df2), *args, **kwargs)

    original = statcheck_st.process_stats
    statcheck_st.process_stats = shim
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = statcheck_st.statcheck([text], messages=False)
    finally:
        statcheck_st.process_stats = original
    return out[0] if isinstance(out, tuple) else out


def study_results(raw, design: str, tmp_path) -> tuple:
    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    if design == "paper":
        synthesize(raw, seed=3, scale=1, sites=3)
    else:
        synthesize(raw, seed=3, design=design)
    study = load_study(raw)
    learners = outcomes.derive(study.participants, study.survey, study.cc_items, study.support_items)
    t2 = outcomes.table2(learners, study.arms)
    results = make_results(study.codebook, arms=study.arms.labels)
    results |= tables.table2_results(t2)
    results |= tables.frame_results("ancova", effects.ancova(learners, study.arms), ["scale"])
    results |= tables.frame_results("missing", outcomes.missing_sensitivity(learners, study.arms), ["outcome"])
    results |= {"params.primary_outcome": "leadership_role"}
    return study, t2, results


@pytest.mark.parametrize("design", ["paper", "independent"])
def test_statcheck_extracts_every_reported_test_and_finds_them_consistent(tmp_path, design):
    study, t2, results = study_results(tmp_path / "raw", design, tmp_path)
    text, _, _ = render(tmp_path, study.codebook, study.dataset, results)
    reported = re.findall(r"(?:χ2|t)\(\d+(?:, N = \d+)?\) = -?\d+\.\d+, p [<=] \.\d+", text)
    chi2 = (t2["test"] == "chi2").sum()
    assert len([r for r in reported if r.startswith("χ2")]) == chi2
    assert len([r for r in reported if r.startswith("t(")]) == 2  # the ANCOVA of both scales
    assert "χ²" not in text  # the superscript defeats the checker
    found = run_statcheck(text)
    # reference: statcheck (Python port of Nuijten et al.'s R package): one row per reported test, no error
    assert found is not None and len(found) == len(reported)
    assert not found["Error"].any(), found[["Raw", "Computed_P_Value"]]


def test_primary_outcome_population_and_missing_data_are_stated(tmp_path):
    study, t2, results = study_results(tmp_path / "raw", "independent", tmp_path)
    text, _, _ = render(tmp_path, study.codebook, study.dataset, results)
    assert "The primary outcome was leadership roles" in text
    assert "modified intention-to-treat" in text
    missing = outcomes.missing_sensitivity(
        outcomes.derive(study.participants, study.survey, study.cc_items, study.support_items), study.arms
    )
    if (missing["control_missing"] + missing["intervention_missing"]).sum():
        assert "in the best case for the" in text and "worst case" in text
    else:
        assert "No analysed learner lacked" in text


def test_primary_outcome_must_be_an_outcome():
    assert outcomes.check_primary("leadership_role") == "leadership_role"
    with pytest.raises(ValueError, match="outcomes.primary: 'income' is not an outcome"):
        outcomes.check_primary("income")


def test_missing_sensitivity_by_hand():
    import pandas as pd
    from scipy import stats as sps

    from compendium.core.config import Arms

    # control: 10 learners, 3 with the outcome, 2 missing; intervention: 12, 8 with it, 1 missing
    y = [True] * 3 + [False] * 5 + [None] * 2 + [True] * 8 + [False] * 3 + [None]
    learners = pd.DataFrame(
        {
            "group": ["control"] * 10 + ["intervention"] * 12,
            **{o: pd.array(y, dtype="boolean") for o in outcomes.OUTCOMES},
        }
    )
    row = outcomes.missing_sensitivity(learners, Arms()).iloc[0]
    assert (row["control_missing"], row["intervention_missing"]) == (2, 1)
    # reference: by hand; best case 3/10 against 9/12, worst case 5/10 against 8/12; scipy Fisher's test
    assert row["best_risk_difference"] == pytest.approx(9 / 12 - 3 / 10)
    assert row["worst_risk_difference"] == pytest.approx(8 / 12 - 5 / 10)
    assert row["best_test"] == "fisher"
    assert row["best_p_value"] == pytest.approx(sps.fisher_exact([[9, 3], [3, 7]]).pvalue)


def test_the_joint_display_table_heads_its_code_column_as_a_code():
    """Unseen study (independent design, seed 12): the column headed 'Theme (code)' held
    the code only (a code id, no theme)."""
    import pandas as pd

    from compendium.reporting import tables

    joint = pd.DataFrame(
        [
            {
                "code": "union_campaign",
                "outcome": "active_participation",
                "talk_control_percent": 70.0,
                "talk_intervention_percent": 80.0,
                "outcome_control_percent": 36.0,
                "outcome_intervention_percent": 68.0,
                "learners_both": 19,
                "agreement_percent": 79.0,
                "kappa": 0.52,
                "judgement": "convergent",
                "quote": "",
                "quote_source": "",
                "quote_unit": 0,
            }
        ]
    )
    md = tables.joint_markdown(joint)
    assert "| Code | Outcome |" in md and "Theme (code)" not in md
    assert "| union campaign |" in md


def test_quote_descriptors_write_arm_labels_as_the_tables_do():
    """exemplar_quotes.md tagged quotes 'advocacy_track arm' while Tables 1 and 2 and the
    manuscript write the study's label with spaces ('advocacy track')."""
    import pandas as pd

    from compendium.reporting.tables import quotes_markdown

    quotes = pd.DataFrame(
        [{"code": "c1", "source_type": "focus_group", "arm": "advocacy_track", "site": "metro", "quote": "Words."}]
    )
    codebook = pd.DataFrame({"code": ["c1"], "code_label": ["Code one"]})
    text = quotes_markdown(quotes, codebook)
    assert "> — focus group, advocacy track arm, site metro" in text
    assert "advocacy_track" not in text


def test_pooled_table_says_why_a_row_is_blank_or_pools_fewer_sites():
    """sites.md printed a blank row for an outcome that only one of three sites
    informed, and 2 sites for a risk difference beside 3 for its odds ratio, without
    the reason that meta_analysis.csv gives in its note column."""
    from scratch import site_table

    from compendium.quantitative.sites import meta_analysis
    from compendium.reporting.tables import meta_markdown

    counts = (("coastal", 6, 12, 5, 14), ("highland", 0, 9, 0, 10), ("metro", 0, 9, 0, 1))
    by_site = site_table((s, "active_participation", *c) for s, *c in counts)
    text = meta_markdown(meta_analysis(by_site))
    assert "| Note |" in text
    assert "not estimable: fewer than two sites with information; left out (no information): highland, metro" in text
