"""Baseline characteristics by arm (the paper's Table 1).

Every level of every categorical variable is listed (not only those the paper
printed), with a count and a percentage of the arm's analysed learners; age and the
pre-intervention scale means get their mean and SD. Each variable carries a descriptive p-value (chi-square for
categories, Welch's t-test for age) and each level a standardized difference.
"""

from __future__ import annotations

import math

import pandas as pd

from compendium.core.config import Arms
from compendium.quantitative.stats import chi2_table, smd_continuous, smd_proportion, welch_t

TABLE1_COLUMNS = ["variable", "level", "statistic", "control", "intervention", "p_value", "smd"]
MISSING = "(missing)"
BASELINE_PREFIX = "baseline_"  # Table 1 rows of the outcomes' pre-intervention measures


def _percent(count: int, total: int) -> float:
    return count * 100 / total if total else math.nan


def table1(participants: pd.DataFrame, arms: Arms | None = None, learners: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 from the consented learners, one row per variable, level and statistic.

    With ``learners`` (the frame of :func:`compendium.quantitative.outcomes.derive`), the
    pre-intervention value of each outcome's measure is added: the cultural-competence
    and support scale means (mean, SD; Welch's t) and the pre-wave participation and
    leadership items (yes share; chi-square), each with its standardized difference."""
    arms = arms or Arms()
    by_arm = {arm: participants[participants["group"] == arm] for arm in arms.labels}
    rows: list[dict] = []

    def row(
        variable: str, level: str, statistic: str, c: float, i: float, p: float = math.nan, smd: float = math.nan
    ) -> None:
        rows.append(
            {
                "variable": variable,
                "level": level,
                "statistic": statistic,
                "control": c,
                "intervention": i,
                "p_value": p,
                "smd": smd,
            }
        )

    n = {arm: len(frame) for arm, frame in by_arm.items()}
    row("n", "", "n", n[arms.control], n[arms.intervention])

    categorical = [("gender", "gender"), ("ethnicity", "ethnicity")]
    if participants["site"].nunique() > 1:
        categorical.append(("site", "site"))
    for variable, column in categorical:
        values = participants[column].fillna(MISSING)
        counts = pd.crosstab(values, participants["group"]).reindex(columns=list(arms.labels), fill_value=0)
        p = chi2_table(counts.drop(index=MISSING, errors="ignore"))
        for level in sorted(counts.index, key=lambda v: (v == MISSING, v)):
            c, i = (int(counts.at[level, a]) for a in arms.labels)
            pc = c / n[arms.control] if n[arms.control] else math.nan
            pi = i / n[arms.intervention] if n[arms.intervention] else math.nan
            smd = smd_proportion(pc, pi) if level != MISSING else math.nan
            row(variable, level, "n", c, i, p, smd)
            row(variable, level, "percent", _percent(c, n[arms.control]), _percent(i, n[arms.intervention]), p, smd)

    def continuous(variable: str, level: str, frames: dict[str, pd.Series]) -> None:
        values = {arm: frames[arm].dropna().astype(float).to_numpy() for arm in arms.labels}
        p = welch_t(values[arms.control], values[arms.intervention])
        smd = smd_continuous(values[arms.control], values[arms.intervention])
        for statistic, fn in (("mean", lambda a: a.mean()), ("sd", lambda a: a.std(ddof=1))):
            vals = [fn(values[a]) if len(values[a]) > 1 else math.nan for a in arms.labels]
            row(variable, level, statistic, vals[0], vals[1], p, smd)
        missing = [int(frames[a].isna().sum()) for a in arms.labels]
        if any(missing):
            row(variable, MISSING, "n", missing[0], missing[1], p=p)  # every row of a variable carries its p-value

    def binary(variable: str, frame: pd.DataFrame, column: str) -> None:
        values = frame[column].map({True: "yes", False: "no"}).fillna(MISSING)
        counts = pd.crosstab(values, frame["group"]).reindex(columns=list(arms.labels), fill_value=0)
        p = chi2_table(counts.drop(index=MISSING, errors="ignore"))
        for level in [lvl for lvl in ("yes", "no", MISSING) if lvl in counts.index]:
            c, i = (int(counts.at[level, a]) for a in arms.labels)
            pc = c / n[arms.control] if n[arms.control] else math.nan
            pi = i / n[arms.intervention] if n[arms.intervention] else math.nan
            smd = smd_proportion(pc, pi) if level != MISSING else math.nan
            row(variable, level, "n", c, i, p, smd)
            row(variable, level, "percent", _percent(c, n[arms.control]), _percent(i, n[arms.intervention]), p, smd)

    continuous("age", "years", {arm: frame["age"] for arm, frame in by_arm.items()})
    binary("previous_activism", participants, "previous_activism")

    if learners is not None:
        # the pre-intervention value of each outcome's measure (learners from outcomes.derive)
        pre = learners.set_index("participant_id").reindex(participants["participant_id"])
        pre["group"] = participants["group"].to_numpy()
        for variable, column in (
            ("baseline_cultural_competence", "cc_pre_mean"),
            ("baseline_support", "support_pre_mean"),
        ):
            continuous(variable, "points", {arm: pre.loc[pre["group"] == arm, column] for arm in arms.labels})
        for variable, column in (
            ("baseline_participation", "participation_pre"),
            ("baseline_leadership", "leadership_pre"),
        ):
            binary(variable, pre, column)

    return pd.DataFrame(rows, columns=TABLE1_COLUMNS)


def suppress_small_cells(t1: pd.DataFrame, k: int, arms: Arms | None = None) -> pd.DataFrame:
    """Blank every demographic count from 1 to k-1 (and its percentage and SMD) so that
    no learner can be singled out; ``suppressed`` flags the rows concerned. The
    pre-intervention outcome measures (``baseline_*``) are survey answers, not
    demographics, and are shown in full as the outcomes are in Table 2.

    When an arm has exactly one hidden level in a variable, the next smallest count
    of that variable is hidden too, since the arm's total would give the first away.
    """
    t = t1.copy()
    t["suppressed"] = False
    if k <= 1:
        return t
    # the pre-intervention outcome measures are survey answers, reported like Table 2's outcome counts
    counts = t[(t["statistic"] == "n") & (t["variable"] != "n") & ~t["variable"].str.startswith(BASELINE_PREFIX)]
    for role in ("control", "intervention"):
        for variable, block in counts.groupby("variable", sort=False):
            values = block[role]
            hidden = list(block.index[(values >= 1) & (values < k)])
            if len(hidden) == 1:
                rest = block.loc[~block.index.isin(hidden) & (values > 0)]
                if not rest.empty:
                    hidden.append(rest[role].idxmin())
            for idx in hidden:
                level = t.at[idx, "level"]
                rows = t.index[(t["variable"] == variable) & (t["level"] == level)]
                t.loc[rows, role] = math.nan
                t.loc[rows, "smd"] = math.nan
                t.loc[rows, "suppressed"] = True
    return t
