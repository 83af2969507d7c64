"""Baseline characteristics by arm (the paper's Table 1).

Every level of every categorical variable is listed (not only those the paper
printed), with a count and a percentage of the arm's analysed learners; age gets
its mean and SD. Each variable carries a descriptive p-value (chi-square for
categories, Welch's t-test for age) and each level a standardized difference.
"""

from __future__ import annotations

import math

import pandas as pd

from .config import Arms
from .stats import chi2_table, smd_continuous, smd_proportion, welch_t

TABLE1_COLUMNS = ["variable", "level", "statistic", "control", "intervention", "p_value", "smd"]
MISSING = "(missing)"


def _percent(count: int, total: int) -> float:
    return count * 100 / total if total else math.nan


def table1(participants: pd.DataFrame, arms: Arms | None = None) -> pd.DataFrame:
    """Table 1 from the consented learners, one row per variable, level and statistic."""
    arms = arms or Arms()
    by_arm = {arm: participants[participants["group"] == arm] for arm in arms.labels}
    rows: list[dict] = []

    def row(variable: str, level: str, statistic: str, c: float, i: float, p: float = math.nan,
            smd: float = math.nan) -> None:
        rows.append({"variable": variable, "level": level, "statistic": statistic,
                     "control": c, "intervention": i, "p_value": p, "smd": smd})

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

    ages = {arm: frame["age"].dropna().astype(float).to_numpy() for arm, frame in by_arm.items()}
    p_age = welch_t(ages[arms.control], ages[arms.intervention])
    smd_age = smd_continuous(ages[arms.control], ages[arms.intervention])
    for statistic, fn in (("mean", lambda a: a.mean()), ("sd", lambda a: a.std(ddof=1))):
        vals = [fn(ages[a]) if len(ages[a]) > 1 else math.nan for a in arms.labels]
        row("age", "years", statistic, vals[0], vals[1], p_age, smd_age)
    missing_age = [int(by_arm[a]["age"].isna().sum()) for a in arms.labels]
    if any(missing_age):
        row("age", MISSING, "n", *missing_age, p=p_age)  # every row of a variable carries its p-value

    act = participants["previous_activism"].map({True: "yes", False: "no"}).fillna(MISSING)
    counts = pd.crosstab(act, participants["group"]).reindex(columns=list(arms.labels), fill_value=0)
    p = chi2_table(counts.drop(index=MISSING, errors="ignore"))
    for level in [lvl for lvl in ("yes", "no", MISSING) if lvl in counts.index]:
        c, i = (int(counts.at[level, a]) for a in arms.labels)
        pc, pi = c / n[arms.control], i / n[arms.intervention]
        smd = smd_proportion(pc, pi) if level != MISSING else math.nan
        row("previous_activism", level, "n", c, i, p, smd)
        row("previous_activism", level, "percent", _percent(c, n[arms.control]),
            _percent(i, n[arms.intervention]), p, smd)

    return pd.DataFrame(rows, columns=TABLE1_COLUMNS)


def suppress_small_cells(t1: pd.DataFrame, k: int, arms: Arms | None = None) -> pd.DataFrame:
    """Blank every count from 1 to k-1 (and its percentage and SMD) so that no learner
    can be singled out; ``suppressed`` flags the rows concerned.

    When an arm has exactly one hidden level in a variable, the next smallest count
    of that variable is hidden too, since the arm's total would give the first away.
    """
    t = t1.copy()
    t["suppressed"] = False
    if k <= 1:
        return t
    counts = t[(t["statistic"] == "n") & (t["variable"] != "n")]
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
