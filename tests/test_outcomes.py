"""Deriving the four outcomes from item-level answers, and Table 2."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats as sps

from compendium.core.config import Arms, OutcomeRules
from compendium.quantitative.outcomes import OUTCOMES, derive, table2

CC = ["cc_1", "cc_2", "cc_3"]
SUP = ["support_1", "support_2"]


def frames(rows: list[dict], people: dict[str, str]):
    participants = pd.DataFrame(
        {
            "participant_id": list(people),
            "group": list(people.values()),
            "site": "all",
            "previous_activism": pd.array([False] * len(people), dtype="boolean"),
            "gender": "F",
            "age": 25.0,
        }
    )
    survey = pd.DataFrame(rows)
    for c in CC + SUP:
        survey[c] = survey[c].astype("Int64")
    for c in ("participation", "leadership"):
        survey[c] = survey[c].astype("boolean")
    return participants, survey


def answers(pid, wave, cc, sup, part=False, lead=False):
    return {
        "participant_id": pid,
        "wave": wave,
        **dict(zip(CC, cc)),
        **dict(zip(SUP, sup)),
        "participation": part,
        "leadership": lead,
    }


def test_thresholds_are_inclusive_and_exact():
    # A: cc mean 2 -> 8/3 (change 2/3 -> counts); support mean exactly 4.0 -> counts
    # B: cc change 1/3 (below 0.5); support 3.5 (below 4.0)
    p, s = frames(
        [
            answers("A", "pre", [2, 2, 2], [1, 1]),
            answers("A", "post", [3, 2, 3], [4, 4], True, False),
            answers("B", "pre", [2, 2, 2], [1, 1]),
            answers("B", "post", [3, 2, 2], [3, 4], False, True),
        ],
        {"A": "control", "B": "intervention"},
    )
    out = derive(p, s, CC, SUP).set_index("participant_id")
    assert out.at["A", "cc_change"] == pytest.approx(2 / 3)
    assert out.at["B", "support_post_mean"] == pytest.approx(3.5)
    assert bool(out.at["A", "increased_cultural_competence"]) is True
    assert bool(out.at["B", "increased_cultural_competence"]) is False
    assert bool(out.at["A", "perceived_support"]) is True
    assert bool(out.at["B", "perceived_support"]) is False
    assert bool(out.at["A", "active_participation"]) and bool(out.at["B", "leadership_role"])


def test_change_of_exactly_one_half_counts_despite_floating_point():
    # six items: pre mean 22/6, post mean 25/6 -> change exactly 0.5, computed as 4.1666 - 3.6666
    cc6 = [f"cc_{i}" for i in range(1, 7)]
    pre = dict(zip(cc6, [4, 4, 4, 4, 3, 3]))
    post = dict(zip(cc6, [5, 5, 4, 4, 4, 3]))
    survey = pd.DataFrame(
        [
            {"participant_id": "A", "wave": "pre", **pre, "support_1": 3, "participation": False, "leadership": False},
            {
                "participant_id": "A",
                "wave": "post",
                **post,
                "support_1": 3,
                "participation": False,
                "leadership": False,
            },
        ]
    )
    participants = pd.DataFrame(
        {
            "participant_id": ["A"],
            "group": ["control"],
            "site": ["all"],
            "previous_activism": [False],
            "gender": ["F"],
            "age": [30.0],
        }
    )
    out = derive(participants, survey, cc6, ["support_1"])
    assert bool(out.loc[0, "increased_cultural_competence"]) is True
    stricter = derive(participants, survey, cc6, ["support_1"], OutcomeRules(cc_min_change=0.6))
    assert bool(stricter.loc[0, "increased_cultural_competence"]) is False


def test_missing_items_make_only_the_outcomes_that_need_them_missing():
    p, s = frames(
        [
            answers("A", "pre", [2, None, 2], [1, 1]),
            answers("A", "post", [3, 3, 3], [5, 5], True, True),
            answers("B", "pre", [2, 2, 2], [1, 1]),
            answers("B", "post", [4, 4, 4], [5, None], None, False),
            answers("C", "pre", [2, 2, 2], [1, 1]),  # no post wave
        ],
        {"A": "control", "B": "intervention", "C": "control"},
    )
    out = derive(p, s, CC, SUP).set_index("participant_id")
    assert pd.isna(out.at["A", "increased_cultural_competence"])
    assert bool(out.at["A", "perceived_support"]) and bool(out.at["A", "leadership_role"])
    assert pd.isna(out.at["B", "perceived_support"]) and pd.isna(out.at["B", "active_participation"])
    assert bool(out.at["B", "increased_cultural_competence"])
    assert out.loc["C", list(OUTCOMES)].isna().all()


def _learners(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for arm, (events, n) in counts.items():
        for i in range(n):
            rows.append({"group": arm, **{o: i < events for o in OUTCOMES}})
    return pd.DataFrame(rows).astype({o: "boolean" for o in OUTCOMES})


def test_table2_matches_scipy_and_reports_the_n_behind_each_percentage():
    learners = _learners({"control": (12, 100), "intervention": (45, 100)})
    learners.loc[0, "perceived_support"] = pd.NA  # one control learner without this outcome
    t = table2(learners, Arms()).set_index("outcome")
    row = t.loc["increased_cultural_competence"]
    # reference: scipy.stats.chi2_contingency([[12, 88], [45, 55]], correction=False)
    ref = sps.chi2_contingency([[12, 88], [45, 55]], correction=False)
    assert row["statistic"] == pytest.approx(ref.statistic)
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert row["control_percent"] == 12 and row["intervention_percent"] == 45
    # reference: statsmodels Table2x2([[45, 55], [12, 88]]).riskratio, riskratio_confint
    from statsmodels.stats.contingency_tables import Table2x2

    ref = Table2x2([[45, 55], [12, 88]])
    assert row["risk_ratio"] == pytest.approx(ref.riskratio)
    assert (row["rr_ci_low"], row["rr_ci_high"]) == pytest.approx(ref.riskratio_confint())
    assert row["nnt"] == pytest.approx(1 / 0.33)
    assert row["nnt_ci_low"] == pytest.approx(1 / row["rd_ci_high"])
    assert t.loc["perceived_support", "control_n"] == 99
    assert t.loc["perceived_support", "control_events"] == 11


def test_table2_uses_fisher_for_a_sparse_outcome():
    learners = _learners({"control": (1, 30), "intervention": (6, 25)})
    row = table2(learners, Arms()).iloc[0]
    # reference: scipy.stats.fisher_exact([[6, 19], [1, 29]]) (two-sided)
    assert row["test"] == "fisher" and math.isnan(row["statistic"])
    assert row["p_value"] == pytest.approx(sps.fisher_exact([[6, 19], [1, 29]]).pvalue)


def test_table2_with_other_arm_labels():
    learners = _learners({"usual": (10, 50), "programme": (30, 60)})
    t = table2(learners, Arms("usual", "programme"))
    assert list(t["control_n"]) == [50] * 4 and list(t["intervention_n"]) == [60] * 4


def test_table2_with_an_empty_arm_keeps_counts_and_tests_nothing():
    learners = _learners({"control": (5, 20)})
    t = table2(learners, Arms())
    assert list(t["control_n"]) == [20] * 4 and list(t["intervention_n"]) == [0] * 4
    assert set(t["test"]) == {"none"} and t["p_value"].isna().all() and t["p_holm"].isna().all()
    assert t[["risk_ratio", "nnt", "nnt_ci_low"]].isna().all().all()


def test_table2_effect_measures_on_an_independent_study(tmp_path):
    # a study the project did not fit: other arm labels, three sites, 40-odd learners
    from statsmodels.stats.contingency_tables import Table2x2

    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    synthesize(tmp_path / "raw", seed=3, design="independent")
    s = load_study(tmp_path / "raw")
    t = table2(derive(s.participants, s.survey, s.cc_items, s.support_items), s.arms)
    for r in t.itertuples(index=False):
        a, n1, c, n2 = r.intervention_events, r.intervention_n, r.control_events, r.control_n
        if 0 < a and 0 < c:
            # reference: statsmodels Table2x2 on the raw counts
            ref = Table2x2([[a, n1 - a], [c, n2 - c]])
            assert r.risk_ratio == pytest.approx(ref.riskratio)
            assert (r.rr_ci_low, r.rr_ci_high) == pytest.approx(ref.riskratio_confint())
        assert r.nnt == pytest.approx(1 / r.risk_difference)
        # Altman: the NNT interval passes through infinity exactly when the RD interval includes 0
        assert (r.nnt_ci_low > r.nnt_ci_high) == (r.rd_ci_low < 0 < r.rd_ci_high)
