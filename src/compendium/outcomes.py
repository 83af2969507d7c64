"""The four post-intervention outcomes (the paper's Table 2).

Each learner's outcomes are derived from the item-level survey answers by the rules
of the data contract, with thresholds from ``params.yaml``. An outcome is missing for
a learner when an item it needs is missing (complete case, outcome by outcome).
"""

from __future__ import annotations

import math

import pandas as pd

from .config import Arms, OutcomeRules
from .contract import OUTCOME_NAMES as OUTCOMES
from .stats import compare_proportions, holm

OUTCOME_LABELS = {
    "increased_cultural_competence": "Increased cultural competence",
    "active_participation": "Active participation in anti-racist initiatives",
    "leadership_role": "Leadership roles in social change efforts",
    "perceived_support": "Perceived institutional support for activism",
}
TABLE2_COLUMNS = [
    "outcome", "control_events", "control_n", "control_percent",
    "intervention_events", "intervention_n", "intervention_percent",
    "test", "statistic", "p_value", "p_holm",
    "risk_difference", "rd_ci_low", "rd_ci_high", "odds_ratio", "or_ci_low", "or_ci_high",
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
    """
    rules = rules or OutcomeRules()
    pre = survey[survey["wave"] == "pre"].set_index("participant_id")
    post = survey[survey["wave"] == "post"].set_index("participant_id")
    base = participants.set_index("participant_id")[["group", "site", "previous_activism", "gender", "age"]]

    def complete_mean(frame: pd.DataFrame, items: list[str]) -> pd.Series:
        values = frame[items].astype("Float64")
        return values.mean(axis=1, skipna=False).reindex(base.index)

    cc_change = complete_mean(post, cc_items) - complete_mean(pre, cc_items)
    support_mean = complete_mean(post, support_items)

    def flag(values: pd.Series, threshold: float) -> pd.Series:
        result = (values >= threshold - _EPS).astype("boolean")
        return result.mask(values.isna())

    out = base.copy()
    out["cc_change"] = cc_change
    out["support_post_mean"] = support_mean
    out["increased_cultural_competence"] = flag(cc_change, rules.cc_min_change)
    out["active_participation"] = post["participation"].reindex(base.index).astype("boolean")
    out["leadership_role"] = post["leadership"].reindex(base.index).astype("boolean")
    out["perceived_support"] = flag(support_mean, rules.support_min_mean)
    return out.reset_index()


def table2(learners: pd.DataFrame, arms: Arms | None = None, *, min_expected: float = 5.0,
           level: float = 0.95) -> pd.DataFrame:
    """Table 2: each outcome by arm with test, Holm-adjusted p, risk difference and
    odds ratio (intervention against control), unrounded. An outcome that an arm has
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
            rows.append({"outcome": outcome, "control_events": ce, "control_n": cn,
                         "control_percent": ce * 100 / cn if cn else nan, "intervention_events": ie,
                         "intervention_n": in_, "intervention_percent": ie * 100 / in_ if in_ else nan,
                         "test": "none", "statistic": nan, "p_value": nan, "risk_difference": nan,
                         "rd_ci_low": nan, "rd_ci_high": nan, "odds_ratio": nan, "or_ci_low": nan,
                         "or_ci_high": nan})
            continue
        res = compare_proportions(ce, cn, ie, in_, min_expected=min_expected, level=level)
        rows.append({
            "outcome": outcome,
            "control_events": ce, "control_n": cn, "control_percent": ce * 100 / cn,
            "intervention_events": ie, "intervention_n": in_, "intervention_percent": ie * 100 / in_,
            "test": res.test, "statistic": res.statistic, "p_value": res.p_value,
            "risk_difference": res.risk_difference, "rd_ci_low": res.rd_ci_low, "rd_ci_high": res.rd_ci_high,
            "odds_ratio": res.odds_ratio, "or_ci_low": res.or_ci_low, "or_ci_high": res.or_ci_high,
        })
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table[TABLE2_COLUMNS]
