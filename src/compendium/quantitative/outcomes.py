"""The four post-intervention outcomes (the paper's Table 2).

Each learner's outcomes are derived from the item-level survey answers by the rules
of the data contract, with thresholds from ``params.yaml``. An outcome is missing for
a learner when an item it needs is missing (complete case, outcome by outcome).
"""

from __future__ import annotations

import math

import pandas as pd

from compendium.core.config import Arms, OutcomeRules
from compendium.data.contract import OUTCOME_NAMES as OUTCOMES
from compendium.quantitative.stats import compare_proportions, holm

#: Each outcome's pre-intervention measure (a column of :func:`derive`): its baseline value.
BASELINE = {
    "increased_cultural_competence": "cc_pre_mean",
    "active_participation": "participation_pre",
    "leadership_role": "leadership_pre",
    "perceived_support": "support_pre_mean",
}
OUTCOME_LABELS = {
    "increased_cultural_competence": "Increased cultural competence",
    "active_participation": "Active participation in anti-racist initiatives",
    "leadership_role": "Leadership roles in social change efforts",
    "perceived_support": "Perceived institutional support for activism",
}
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
    "risk_ratio",
    "rr_ci_low",
    "rr_ci_high",
    "nnt",
    "nnt_ci_low",
    "nnt_ci_high",
]
# Floating-point slack for the threshold comparisons: a mean change of exactly 0.5
# computed as 4.1666... - 3.6666... must count as reaching 0.5.
_EPS = 1e-9


def derive(
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    cc_items: list[str],
    support_items: list[str],
    rules: OutcomeRules | None = None,
) -> pd.DataFrame:
    """One row per consented learner: arm, site, scores and the four outcomes.

    Outcomes are nullable booleans; a learner without a post wave has all four
    missing, and one without a complete pre wave has no cultural-competence change.
    The pre-wave values of each outcome's measure (``BASELINE``) and the scale means of
    both waves are kept for Table 1, the baseline-adjusted models and the ANCOVA.
    """
    rules = rules or OutcomeRules()
    pre = survey[survey["wave"] == "pre"].set_index("participant_id")
    post = survey[survey["wave"] == "post"].set_index("participant_id")
    base = participants.set_index("participant_id")[["group", "site", "previous_activism", "gender", "age"]]

    def complete_mean(frame: pd.DataFrame, items: list[str]) -> pd.Series:
        values = frame[items].astype("Float64")
        return values.mean(axis=1, skipna=False).reindex(base.index)

    cc_pre, cc_post = complete_mean(pre, cc_items), complete_mean(post, cc_items)
    cc_change = cc_post - cc_pre
    support_mean = complete_mean(post, support_items)

    def flag(values: pd.Series, threshold: float) -> pd.Series:
        result = (values >= threshold - _EPS).astype("boolean")
        return result.mask(values.isna())

    out = base.copy()
    out["cc_change"] = cc_change
    out["support_post_mean"] = support_mean
    # the pre-intervention (baseline) value of each outcome's measure
    out["cc_pre_mean"] = cc_pre
    out["cc_post_mean"] = cc_post
    out["support_pre_mean"] = complete_mean(pre, support_items)
    out["participation_pre"] = pre["participation"].reindex(base.index).astype("boolean")
    out["leadership_pre"] = pre["leadership"].reindex(base.index).astype("boolean")
    out["increased_cultural_competence"] = flag(cc_change, rules.cc_min_change)
    out["active_participation"] = post["participation"].reindex(base.index).astype("boolean")
    out["leadership_role"] = post["leadership"].reindex(base.index).astype("boolean")
    out["perceived_support"] = flag(support_mean, rules.support_min_mean)
    return out.reset_index()


def table2(
    learners: pd.DataFrame, arms: Arms | None = None, *, min_expected: float = 5.0, level: float = 0.95
) -> pd.DataFrame:
    """Table 2: each outcome by arm with test, Holm-adjusted p, risk difference, odds
    ratio, risk ratio and number needed to treat (intervention against control), unrounded. An outcome that an arm has
    no analysed learner for keeps its counts; its test is ``none`` and its statistics
    are blank."""
    arms = arms or Arms()
    rows = []
    for outcome in OUTCOMES:
        counts = {}
        for arm in arms.labels:
            values = learners.loc[learners["group"] == arm, outcome].dropna()
            counts[arm] = (int(values.sum()), int(len(values)))
        (ce, cn), (ie, in_) = counts[arms.control], counts[arms.intervention]
        if cn == 0 or in_ == 0:
            # an arm without analysed learners (a small site, say): counts only, nothing to compare
            nan = math.nan
            rows.append(
                {
                    "outcome": outcome,
                    "control_events": ce,
                    "control_n": cn,
                    "control_percent": ce * 100 / cn if cn else nan,
                    "intervention_events": ie,
                    "intervention_n": in_,
                    "intervention_percent": ie * 100 / in_ if in_ else nan,
                    "test": "none",
                    "statistic": nan,
                    "p_value": nan,
                    "risk_difference": nan,
                    "rd_ci_low": nan,
                    "rd_ci_high": nan,
                    "odds_ratio": nan,
                    "or_ci_low": nan,
                    "or_ci_high": nan,
                    "risk_ratio": nan,
                    "rr_ci_low": nan,
                    "rr_ci_high": nan,
                    "nnt": nan,
                    "nnt_ci_low": nan,
                    "nnt_ci_high": nan,
                }
            )
            continue
        res = compare_proportions(ce, cn, ie, in_, min_expected=min_expected, level=level)
        rows.append(
            {
                "outcome": outcome,
                "control_events": ce,
                "control_n": cn,
                "control_percent": ce * 100 / cn,
                "intervention_events": ie,
                "intervention_n": in_,
                "intervention_percent": ie * 100 / in_,
                "test": res.test,
                "statistic": res.statistic,
                "p_value": res.p_value,
                "risk_difference": res.risk_difference,
                "rd_ci_low": res.rd_ci_low,
                "rd_ci_high": res.rd_ci_high,
                "odds_ratio": res.odds_ratio,
                "or_ci_low": res.or_ci_low,
                "or_ci_high": res.or_ci_high,
                "risk_ratio": res.risk_ratio,
                "rr_ci_low": res.rr_ci_low,
                "rr_ci_high": res.rr_ci_high,
                "nnt": res.nnt,
                "nnt_ci_low": res.nnt_ci_low,
                "nnt_ci_high": res.nnt_ci_high,
            }
        )
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table[TABLE2_COLUMNS]


def check_primary(primary: str) -> str:
    """The primary outcome named in params.yaml (``outcomes.primary``), checked against the
    contract's four outcomes."""
    if primary not in OUTCOMES:
        raise ValueError(
            f"params.yaml outcomes.primary: {primary!r} is not an outcome; choose one of {', '.join(OUTCOMES)}"
        )
    return primary


SENSITIVITY_COLUMNS = [
    "outcome",
    "control_missing",
    "intervention_missing",
    "best_test",
    "best_risk_difference",
    "best_rd_ci_low",
    "best_rd_ci_high",
    "best_p_value",
    "worst_test",
    "worst_risk_difference",
    "worst_rd_ci_low",
    "worst_rd_ci_high",
    "worst_p_value",
]


def missing_sensitivity(
    learners: pd.DataFrame, arms: Arms | None = None, *, min_expected: float = 5.0, level: float = 0.95
) -> pd.DataFrame:
    """Best- and worst-case sensitivity analysis for missing binary outcomes (Gamble and
    Hollis 2005, BMJ 330:1191; CONSORT 2010 item 16): every analysed learner (allocated,
    consent kept) whose outcome is missing is counted as having it in one arm and not in
    the other. Best case (for the intervention): missing intervention learners have the
    outcome, missing control learners do not; worst case: the reverse. Each case is
    compared as Table 2 is (same test rule, Newcombe interval). An outcome without
    missing values reproduces Table 2 in both cases."""
    arms = arms or Arms()
    rows = []
    for outcome in OUTCOMES:
        row: dict = {"outcome": outcome}
        counts = {}
        for arm, role in ((arms.control, "control"), (arms.intervention, "intervention")):
            values = learners.loc[learners["group"] == arm, outcome]
            counts[role] = (int(values.dropna().sum()), int(values.notna().sum()), int(values.isna().sum()))
            row[f"{role}_missing"] = counts[role][2]
        (ce, cn, cm), (ie, in_, im) = counts["control"], counts["intervention"]
        for case, (c_add, i_add) in (("best", (0, im)), ("worst", (cm, 0))):
            if cn + cm == 0 or in_ + im == 0:
                row |= {
                    f"{case}_test": "none",
                    f"{case}_risk_difference": math.nan,
                    f"{case}_rd_ci_low": math.nan,
                    f"{case}_rd_ci_high": math.nan,
                    f"{case}_p_value": math.nan,
                }
                continue
            res = compare_proportions(ce + c_add, cn + cm, ie + i_add, in_ + im, min_expected=min_expected, level=level)
            row |= {
                f"{case}_test": res.test,
                f"{case}_risk_difference": res.risk_difference,
                f"{case}_rd_ci_low": res.rd_ci_low,
                f"{case}_rd_ci_high": res.rd_ci_high,
                f"{case}_p_value": res.p_value,
            }
        rows.append(row)
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
