"""Two-arm comparisons of binary outcomes and baseline characteristics.

Functions take plain counts or long-format data and return unrounded values;
rounding happens only in :mod:`compendium.reporting.tables` when something is displayed.
pingouin computes what it has (Pearson chi-square, Welch's t-test, Holm's
adjustment); scipy and statsmodels supply Fisher's exact test, Newcombe's interval
for a difference of proportions and Woolf's interval for an odds ratio.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TwoByTwo:
    """Comparison of one binary outcome between control and intervention."""

    control_events: int
    control_n: int
    intervention_events: int
    intervention_n: int
    test: str  # "chi2" or "fisher"
    statistic: float  # chi-square; NaN for Fisher's test
    dof: float
    p_value: float
    min_expected: float
    risk_difference: float  # intervention minus control
    rd_ci_low: float
    rd_ci_high: float
    odds_ratio: float  # intervention over control
    or_ci_low: float
    or_ci_high: float
    or_corrected: bool  # 0.5 added to every cell because one was zero
    risk_ratio: float = math.nan  # intervention over control
    rr_ci_low: float = math.nan
    rr_ci_high: float = math.nan
    rr_corrected: bool = False  # 0.5 added to every cell because an arm had no event
    nnt: float = math.nan  # 1 / risk difference (negative: number needed to harm)
    nnt_ci_low: float = math.nan  # 1 / rd_ci_high; above nnt_ci_high when the interval passes through infinity
    nnt_ci_high: float = math.nan  # 1 / rd_ci_low

    def as_dict(self) -> dict:
        return asdict(self)


def _check_counts(events: int, n: int, name: str) -> None:
    if n <= 0:
        raise ValueError(f"{name}: the number analysed must be positive, found {n}")
    if not 0 <= events <= n:
        raise ValueError(f"{name}: events must lie between 0 and {n}, found {events}")


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Expected cell counts of a 2x2 table under independence."""
    table = np.asarray(table, dtype=float)
    total = table.sum()
    return np.outer(table.sum(axis=1), table.sum(axis=0)) / total


def pearson_chi2(a_events: int, a_n: int, b_events: int, b_n: int) -> tuple[float, float, float]:
    """Pearson's chi-square without continuity correction (pingouin): statistic, dof, p."""
    import pingouin as pg

    group = ["a"] * a_n + ["b"] * b_n
    outcome = [1] * a_events + [0] * (a_n - a_events) + [1] * b_events + [0] * (b_n - b_events)
    data = pd.DataFrame({"group": group, "outcome": outcome})
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # pingouin also computes the power-divergence family, whose log-likelihood
        # members warn on empty cells; only Pearson's row is used here.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", message="Low count on observed frequencies")
        _, _, stats = pg.chi2_independence(data, x="group", y="outcome", correction=False)
    row = stats.loc[stats["test"] == "pearson"].iloc[0]
    return float(row["chi2"]), float(row["dof"]), float(row["pval"])


def fisher_exact(a_events: int, a_n: int, b_events: int, b_n: int) -> float:
    """Two-sided p-value of Fisher's exact test (scipy)."""
    from scipy.stats import fisher_exact as _fisher

    table = [[b_events, b_n - b_events], [a_events, a_n - a_events]]
    return float(_fisher(table, alternative="two-sided").pvalue)


def newcombe_interval(events1: int, n1: int, events2: int, n2: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for p1 - p2 (statsmodels)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(events1, n1, events2, n2, method="newcomb", compare="diff", alpha=1 - level)
    return float(low), float(high)


def odds_ratio(events1: int, n1: int, events2: int, n2: int, level: float = 0.95) -> tuple[float, float, float, bool]:
    """Odds ratio of group 1 against group 2 with Woolf's logit interval.

    When a cell is zero, 0.5 is added to every cell (Haldane-Anscombe) and the flag
    in the last position is true. When a whole column is zero (no learner in either
    group had the outcome, or every learner had it) the odds ratio is not estimable and
    all three values are NaN: the correction would only report the ratio of the group
    sizes.
    """
    from statsmodels.stats.contingency_tables import Table2x2

    table = np.array([[events1, n1 - events1], [events2, n2 - events2]], dtype=float)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return math.nan, math.nan, math.nan, False
    corrected = bool((table == 0).any())
    t = Table2x2(table + 0.5 if corrected else table)
    low, high = t.oddsratio_confint(alpha=1 - level)
    return float(t.oddsratio), float(low), float(high), corrected


def risk_ratio(events1: int, n1: int, events2: int, n2: int, level: float = 0.95) -> tuple[float, float, float, bool]:
    """Risk ratio of group 1 against group 2 with the log (Katz) interval (statsmodels
    ``Table2x2.riskratio``).

    When a group has no event, 0.5 is added to every cell and the flag in the last
    position is true. When no learner, or every learner, had the outcome in both
    groups, the ratio carries no information and all three values are NaN.
    """
    from statsmodels.stats.contingency_tables import Table2x2

    table = np.array([[events1, n1 - events1], [events2, n2 - events2]], dtype=float)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return math.nan, math.nan, math.nan, False
    corrected = bool((table[:, 0] == 0).any())
    t = Table2x2(table + 0.5 if corrected else table)
    low, high = t.riskratio_confint(alpha=1 - level)
    return float(t.riskratio), float(low), float(high), corrected


def number_needed_to_treat(rd: float, rd_low: float, rd_high: float) -> tuple[float, float, float]:
    """Number needed to treat, 1 / risk difference, with the reciprocals of the risk
    difference's confidence limits (Altman 1998, BMJ 317:1309).

    Signed: positive values are numbers needed to treat for one more learner with the
    outcome (benefit, NNTB), negative ones numbers needed to harm (NNTH). The interval
    is (1 / rd_high, 1 / rd_low). When the risk difference's interval crosses zero,
    the first limit is an NNTB and the second an NNTH (first > second): the interval
    runs from NNTB |first| through infinity to NNTH |second|, Altman's convention. A
    risk difference, or a limit, of exactly zero has no finite reciprocal: NaN.
    """

    def inv(x: float) -> float:
        return 1 / x if x is not None and math.isfinite(x) and x != 0 else math.nan

    return inv(rd), inv(rd_high), inv(rd_low)


def compare_proportions(
    control_events: int,
    control_n: int,
    intervention_events: int,
    intervention_n: int,
    *,
    min_expected: float = 5.0,
    level: float = 0.95,
) -> TwoByTwo:
    """Compare one binary outcome between the arms.

    The test is Pearson's chi-square without continuity correction when every
    expected count is at least ``min_expected``, else Fisher's exact test.
    """
    _check_counts(control_events, control_n, "control")
    _check_counts(intervention_events, intervention_n, "intervention")
    table = np.array(
        [
            [control_events, control_n - control_events],
            [intervention_events, intervention_n - intervention_events],
        ]
    )
    expected = expected_counts(table)
    smallest = float(expected.min()) if np.isfinite(expected).all() else 0.0
    degenerate = (table.sum(axis=0) == 0).any()  # nobody, or everybody, had the event
    if degenerate:
        test, statistic, dof, p = "fisher", math.nan, math.nan, 1.0
    elif smallest >= min_expected:
        test = "chi2"
        statistic, dof, p = pearson_chi2(control_events, control_n, intervention_events, intervention_n)
    else:
        test, statistic, dof = "fisher", math.nan, math.nan
        p = fisher_exact(control_events, control_n, intervention_events, intervention_n)
    rd = intervention_events / intervention_n - control_events / control_n
    rd_low, rd_high = newcombe_interval(intervention_events, intervention_n, control_events, control_n, level)
    or_, or_low, or_high, corrected = odds_ratio(intervention_events, intervention_n, control_events, control_n, level)
    rr, rr_low, rr_high, rr_corrected = risk_ratio(
        intervention_events, intervention_n, control_events, control_n, level
    )
    nnt, nnt_low, nnt_high = number_needed_to_treat(rd, rd_low, rd_high)
    return TwoByTwo(
        control_events=int(control_events),
        control_n=int(control_n),
        intervention_events=int(intervention_events),
        intervention_n=int(intervention_n),
        test=test,
        statistic=statistic,
        dof=dof,
        p_value=p,
        min_expected=smallest,
        risk_difference=rd,
        rd_ci_low=rd_low,
        rd_ci_high=rd_high,
        odds_ratio=or_,
        or_ci_low=or_low,
        or_ci_high=or_high,
        or_corrected=corrected,
        risk_ratio=rr,
        rr_ci_low=rr_low,
        rr_ci_high=rr_high,
        rr_corrected=rr_corrected,
        nnt=nnt,
        nnt_ci_low=nnt_low,
        nnt_ci_high=nnt_high,
    )


def holm(p_values: list[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (pingouin); NaN p-values stay NaN."""
    import pingouin as pg

    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        _, adjusted = pg.multicomp(p[ok], method="holm")
        out[ok] = adjusted
    return out


def smd_continuous(x1: np.ndarray, x2: np.ndarray) -> float:
    """Standardized mean difference (x2 - x1) over the pooled SD, sqrt((s1^2 + s2^2) / 2)."""
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    if len(x1) < 2 or len(x2) < 2:
        return math.nan
    pooled = math.sqrt((x1.var(ddof=1) + x2.var(ddof=1)) / 2)
    return (x2.mean() - x1.mean()) / pooled if pooled > 0 else math.nan


def smd_proportion(p1: float, p2: float) -> float:
    """Standardized difference of two proportions (p2 - p1) (Austin 2009, eq. 2).

    Two equal proportions differ by 0, also when both are 0 or 1 (a level that every
    learner of both arms shares, or none does): the arms are alike on it, which a
    zero pooled variance would otherwise leave undefined. Only 0 against 1 is undefined."""
    if p1 == p2:
        return 0.0
    pooled = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    return (p2 - p1) / pooled if pooled > 0 else math.nan


def welch_t(x1: np.ndarray, x2: np.ndarray) -> float:
    """Two-sided p-value of Welch's t-test (pingouin)."""
    import pingouin as pg

    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    if len(x1) < 2 or len(x2) < 2:
        return math.nan
    result = pg.ttest(x2, x1, correction=True)
    column = "p_val" if "p_val" in result.columns else "p-val"  # renamed in pingouin 0.6
    return float(result[column].iloc[0])


def chi2_table(counts: pd.DataFrame) -> float:
    """p-value of Pearson's chi-square test of a levels-by-arms table of counts
    (scipy; no continuity correction). NaN when the table has fewer than two
    non-empty levels."""
    from scipy.stats import chi2_contingency

    table = counts.loc[counts.sum(axis=1) > 0]
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return math.nan
    return float(chi2_contingency(table.to_numpy(), correction=False).pvalue)
