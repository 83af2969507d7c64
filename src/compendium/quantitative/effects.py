"""Effects beyond the paper's percentages: adjusted and stratified odds ratios,
correlations, outcomes by previous-activism stratum, and replication planning.

All functions take the per-learner frame of :func:`compendium.quantitative.outcomes.derive` and
return unrounded DataFrames with fixed columns.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from compendium.core.config import Arms
from compendium.quantitative.outcomes import BASELINE, OUTCOMES
from compendium.quantitative.stats import compare_proportions, holm

ADJUSTED_COLUMNS = [
    "outcome",
    "n_unadjusted",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "n_adjusted",
    "covariates",
    "adjusted_or",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_p",
    "mh_or",
    "mh_ci_low",
    "mh_ci_high",
    "mh_p",
    "breslow_day_chi2",
    "breslow_day_p",
    "note",
    "baseline",  # added: the outcome's pre-intervention measure adjusted for ("" when not)
]


def design_matrix(learners: pd.DataFrame, arms: Arms, covariates: list[str]) -> pd.DataFrame:
    """Numeric predictors: the arm (1 = intervention) and the covariates, categorical
    ones dummy-coded against their alphabetically first level. Rows with a missing
    predictor are dropped (complete case)."""
    frame = pd.DataFrame({"intervention": (learners["group"] == arms.intervention).astype(float)}, index=learners.index)
    for cov in covariates:
        if cov not in learners.columns:
            raise ValueError(
                f"covariate {cov!r} (params.yaml: effects.covariates) is not a learner column; "
                f"choose from {sorted(c for c in learners.columns if c not in OUTCOMES)}"
            )
        col = learners[cov]
        if pd.api.types.is_bool_dtype(col) or str(col.dtype) == "boolean":
            frame[cov] = col.astype("Float64").astype(float)
        elif pd.api.types.is_numeric_dtype(col):
            frame[cov] = col.astype("Float64").astype(float)
        else:
            levels = sorted(col.dropna().unique())
            for level in levels[1:]:
                dummy = (col == level).astype(float)
                frame[f"{cov}[{level}]"] = dummy.where(col.notna())
    return frame.dropna()


def adjusted_effects(
    learners: pd.DataFrame,
    arms: Arms,
    covariates: list[str],
    *,
    level: float = 0.95,
    stratum: str = "previous_activism",
    baseline: bool = False,
) -> pd.DataFrame:
    """Per outcome: the unadjusted odds ratio, the odds ratio adjusted for
    ``covariates`` (a set fixed in params.yaml before the data are seen, not chosen by
    baseline p-values) and, with ``baseline``, the outcome's own pre-intervention value
    (``outcomes.BASELINE``) by logistic regression (pingouin), and the Mantel-Haenszel
    odds ratio across the strata of ``stratum`` with the Breslow-Day test (statsmodels)."""
    import pingouin as pg

    rows = []
    for outcome in OUTCOMES:
        data = learners[learners[outcome].notna()]
        y = data[outcome].astype(bool)
        counts = {a: (int(y[data["group"] == a].sum()), int((data["group"] == a).sum())) for a in arms.labels}
        un = compare_proportions(*counts[arms.control], *counts[arms.intervention], level=level)
        row = {
            "outcome": outcome,
            "n_unadjusted": len(data),
            "odds_ratio": un.odds_ratio,
            "or_ci_low": un.or_ci_low,
            "or_ci_high": un.or_ci_high,
            "covariates": "+".join(covariates),
        }
        notes = []

        pre = BASELINE.get(outcome) if baseline else None
        if pre is not None and (pre not in data or data[pre].isna().all()):
            notes.append(f"no pre-intervention value of {outcome} to adjust for")
            pre = None
        row["baseline"] = pre or ""
        X = design_matrix(data, arms, [*covariates, *([pre] if pre and pre not in covariates else [])])
        yy = y.loc[X.index].astype(int)
        row["n_adjusted"] = len(X)
        X = X.loc[:, X.nunique() > 1]  # a constant covariate carries no information
        if "intervention" not in X or yy.nunique() < 2:
            notes.append("adjusted model not estimable (an arm or outcome level is empty)")
            row.update(adjusted_or=math.nan, adjusted_ci_low=math.nan, adjusted_ci_high=math.nan, adjusted_p=math.nan)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # exact Newton steps to the maximum (the gradient below 1e-12), not pingouin's newton-cg at 1e-8:
                # what is left is rounding, not optimiser noise, so the digits written match on any CPU
                fit = pg.logistic_regression(X, yy, alpha=1 - level, solver="newton-cholesky", tol=1e-12)
            arm = fit.set_index("names").loc["intervention"]
            lo_col, hi_col = [c for c in fit.columns if c.startswith("CI")]
            if not np.isfinite(arm["se"]) or arm["se"] > 50 or abs(arm["coef"]) > 50:
                # the likelihood has no maximum: the estimate and its interval are artefacts of the optimiser
                notes.append("adjusted model not estimable: separation (an outcome group is perfectly predicted)")
                row.update(
                    adjusted_or=math.nan, adjusted_ci_low=math.nan, adjusted_ci_high=math.nan, adjusted_p=math.nan
                )
            else:
                row.update(
                    adjusted_or=math.exp(arm["coef"]),
                    adjusted_ci_low=math.exp(arm[lo_col]),
                    adjusted_ci_high=math.exp(arm[hi_col]),
                    adjusted_p=float(arm["pval"]),
                )

        tables = stratum_tables(data, outcome, arms, stratum)
        row.update(mantel_haenszel(tables, level=level, notes=notes, stratum=stratum))
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=ADJUSTED_COLUMNS)


def stratum_tables(data: pd.DataFrame, outcome: str, arms: Arms, stratum: str) -> list[np.ndarray]:
    """One 2x2 table per level of ``stratum`` (sorted): rows intervention, control;
    columns event, no event. Learners with the outcome or the stratum missing are left out."""
    if stratum not in data:
        return []
    data = data[data[outcome].notna() & data[stratum].notna()]
    tables = []
    for s in sorted(data[stratum].unique()):
        part = data[data[stratum] == s]
        yp = part[outcome].astype(bool)
        i, c = part["group"] == arms.intervention, part["group"] == arms.control
        tables.append(np.array([[yp[i].sum(), (~yp[i]).sum()], [yp[c].sum(), (~yp[c]).sum()]], dtype=float))
    return tables


MH_KEYS = ("mh_or", "mh_ci_low", "mh_ci_high", "mh_p", "breslow_day_chi2", "breslow_day_p")


def mantel_haenszel(
    tables: list[np.ndarray], *, level: float = 0.95, notes: list[str] | None = None, stratum: str = "the stratum"
) -> dict:
    """Mantel-Haenszel pooled odds ratio with the Robins-Breslow-Greenland interval, the
    Cochran-Mantel-Haenszel test (no continuity correction) and the Breslow-Day test of
    homogeneity, by statsmodels' ``StratifiedTable`` on the raw counts.

    Strata with an empty margin (one arm absent, or no variation in the outcome) carry
    no information: they add nothing to the estimator, its variance or the test, and are
    left out (Breslow-Day is undefined on them). A zero cell in an informative stratum
    needs no correction, because the estimator sum(a*d/n) / sum(b*c/n) stays defined
    while the other strata carry it (Mantel and Haenszel 1959; Greenland and Robins
    1985). Only when that ratio is undefined or infinite (a sum is zero) is 0.5 added to
    every cell of the informative strata, and a note says so. Needs two informative strata.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    notes = notes if notes is not None else []
    blank = dict.fromkeys(MH_KEYS, math.nan)
    informative = [t for t in tables if (t.sum(axis=1) > 0).all() and (t.sum(axis=0) > 0).all()]
    if len(informative) < 2:
        notes.append(f"Mantel-Haenszel needs two strata of {stratum} with both arms and both outcome levels")
        return blank
    if len(informative) < len(tables):
        notes.append(
            f"{len(tables) - len(informative)} stratum(s) of {stratum} without both arms and both "
            "outcome levels left out of the Mantel-Haenszel estimate (they carry no information)"
        )
    numerator = sum(t[0, 0] * t[1, 1] / t.sum() for t in informative)
    denominator = sum(t[0, 1] * t[1, 0] / t.sum() for t in informative)
    if numerator == 0 or denominator == 0:
        informative = [t + 0.5 for t in informative]
        notes.append(
            "Mantel-Haenszel estimator undefined on the raw counts (no stratum has "
            + ("an event-concordant" if numerator == 0 else "a discordant")
            + " pair); 0.5 added to every cell of the strata"
        )
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        st = StratifiedTable(informative)
        lo, hi = st.oddsratio_pooled_confint(alpha=1 - level)
        bd = st.test_equal_odds()
        cmh = st.test_null_odds(correction=False)
    return {
        "mh_or": float(st.oddsratio_pooled),
        "mh_ci_low": float(lo),
        "mh_ci_high": float(hi),
        "mh_p": float(cmh.pvalue),
        "breslow_day_chi2": float(bd.statistic),
        "breslow_day_p": float(bd.pvalue),
    }


# --------------------------------------------------------------------------- ANCOVA

ANCOVA_COLUMNS = [
    "scale",
    "n",
    "control_n",
    "intervention_n",
    "control_pre_mean",
    "control_post_mean",
    "intervention_pre_mean",
    "intervention_post_mean",
    "post_difference",
    "mean_difference",
    "ci_low",
    "ci_high",
    "statistic",
    "dof",
    "p_value",
    "note",
]
#: The continuous scales: (name, pre-intervention column, post-intervention column) of :func:`outcomes.derive`.
ANCOVA_SCALES = (
    ("cultural_competence", "cc_pre_mean", "cc_post_mean"),
    ("support", "support_pre_mean", "support_post_mean"),
)


def ancova(learners: pd.DataFrame, arms: Arms, *, level: float = 0.95) -> pd.DataFrame:
    """Analysis of covariance of each continuous scale: the post-intervention scale mean
    regressed on the arm (1 = intervention) and the pre-intervention scale mean by
    ordinary least squares, complete cases (Vickers and Altman 2001, BMJ 323:1123).
    ``mean_difference`` is the arm's coefficient (intervention minus control, adjusted
    for the baseline) with its t-based interval; ``post_difference`` the unadjusted
    difference of the post means. Needs both arms, a baseline that varies and more
    than three learners; otherwise the estimate is NaN and the note says why."""
    from scipy import stats as sps

    rows = []
    for scale, pre_col, post_col in ANCOVA_SCALES:
        row: dict = dict.fromkeys(ANCOVA_COLUMNS, math.nan) | {"scale": scale, "note": ""}
        if pre_col not in learners or post_col not in learners:
            row |= {"n": 0, "control_n": 0, "intervention_n": 0, "note": "scale not measured"}
            rows.append(row)
            continue
        data = learners[learners["group"].isin(arms.labels)][["group", pre_col, post_col]].dropna()
        pre, post = data[pre_col].astype(float).to_numpy(), data[post_col].astype(float).to_numpy()
        arm = (data["group"] == arms.intervention).to_numpy(float)
        row |= {"n": len(data), "control_n": int((arm == 0).sum()), "intervention_n": int((arm == 1).sum())}
        for role, flag in (("control", 0), ("intervention", 1)):
            if (arm == flag).any():
                row[f"{role}_pre_mean"] = float(pre[arm == flag].mean())
                row[f"{role}_post_mean"] = float(post[arm == flag].mean())
        row["post_difference"] = row["intervention_post_mean"] - row["control_post_mean"]
        X = np.column_stack([np.ones(len(data)), arm, pre])
        if len(data) <= 3 or np.linalg.matrix_rank(X) < 3:
            row["note"] = "not estimable: needs both arms, a baseline that varies and more than three learners"
            rows.append(row)
            continue
        coef, *_ = np.linalg.lstsq(X, post, rcond=None)
        dof = len(data) - 3
        resid = post - X @ coef
        cov = (resid @ resid / dof) * np.linalg.inv(X.T @ X)
        se = math.sqrt(cov[1, 1])
        q = sps.t.ppf(1 - (1 - level) / 2, dof)
        t = coef[1] / se if se > 0 else math.nan
        row |= {
            "mean_difference": float(coef[1]),
            "ci_low": float(coef[1] - q * se),
            "ci_high": float(coef[1] + q * se),
            "statistic": float(t),
            "dof": dof,
            "p_value": float(2 * sps.t.sf(abs(t), dof)) if se > 0 else math.nan,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=ANCOVA_COLUMNS)


# --------------------------------------------------------------------------- clustering by site

CLUSTERED_COLUMNS = [
    "outcome",
    "sites",
    "n",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "within_site_correlation",
    "note",
]


FEW_INFORMATIVE_SITES = "fewer than two sites hold both arms and both levels of the outcome"


def informative_sites(data: pd.DataFrame, outcome: str) -> int:
    """Sites that hold learners of both arms and both levels of ``outcome``: the only
    ones whose learners compare the arms on it. A site where nobody (or everybody) has
    the outcome carries no information on the comparison, as in the pooled analysis
    (:func:`compendium.quantitative.sites.meta_analysis` leaves such sites out)."""
    both = data.groupby("site", observed=True).agg(
        arms=("group", "nunique"), levels=(outcome, lambda v: v.astype(bool).nunique())
    )
    return int(((both["arms"] > 1) & (both["levels"] > 1)).sum())


def clustered_effects(learners: pd.DataFrame, arms: Arms, *, level: float = 0.95) -> pd.DataFrame:
    """The comparison of each outcome between the arms as a model that respects the
    sites: a logistic GEE (generalised estimating equations, Liang and Zeger 1986) with
    an exchangeable working correlation within site and the Mancl-DeRouen (2001)
    bias-reduced robust covariance (statsmodels), and intervals and p-values from the
    t distribution with (sites - 1) degrees of freedom, the usual small-sample
    correction for few clusters (Cameron and Miller 2015): with three sites the interval
    is, rightly, wide. With one site there is nothing to account for and the row says
    so; with fewer than ten sites the note says the interval rests on few clusters. With
    fewer than two sites that compare the arms on the outcome (:func:`informative_sites`)
    the robust covariance rests on one site's learners and no odds ratio is given: the
    model then reports a narrow interval around an estimate no site supports (a study
    with 20% against 20% overall gave OR 0.65, 95% CI 0.47 to 0.92)."""
    import statsmodels.api as sm

    rows = []
    for outcome in OUTCOMES:
        data = learners[learners[outcome].notna() & learners["group"].isin(arms.labels) & learners["site"].notna()]
        sites = int(data["site"].nunique())
        row = dict.fromkeys(CLUSTERED_COLUMNS, math.nan) | {
            "outcome": outcome,
            "sites": sites,
            "n": len(data),
            "note": "",
        }
        y = data[outcome].astype(bool).astype(float).to_numpy()
        arm = (data["group"] == arms.intervention).astype(float).to_numpy()
        if sites < 2:
            row["note"] = "one site: no clustering to account for (see Table 2)"
        elif len(np.unique(y)) < 2 or len(np.unique(arm)) < 2:
            row["note"] = "not estimable: an arm or an outcome level is empty"
        elif informative_sites(data, outcome) < 2:
            row["note"] = f"not estimable: {FEW_INFORMATIVE_SITES}"
        else:
            groups = pd.factorize(data["site"], sort=True)[0]
            model = sm.GEE(
                y,
                sm.add_constant(arm),
                groups=groups,
                family=sm.families.Binomial(),
                cov_struct=sm.cov_struct.Exchangeable(),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = model.fit(cov_type="bias_reduced")
            coef, se = float(fit.params[1]), float(fit.bse[1])
            if not np.isfinite(se) or se <= 0 or abs(coef) > 50:
                row["note"] = "not estimable: the model did not converge (separation or too few sites)"
            else:
                from scipy import stats as sps

                dof = sites - 1  # few clusters: t with G - 1 degrees of freedom (Cameron and Miller 2015)
                q = sps.t.ppf(1 - (1 - level) / 2, dof)
                row |= {
                    "odds_ratio": math.exp(coef),
                    "ci_low": math.exp(coef - q * se),
                    "ci_high": math.exp(coef + q * se),
                    "p_value": float(2 * sps.t.sf(abs(coef / se), dof)),
                    "within_site_correlation": float(model.cov_struct.dep_params),
                }
                if sites < 10:
                    row["note"] = f"{sites} sites: a robust interval from few clusters, to read with caution"
        rows.append(row)
    return pd.DataFrame(rows, columns=CLUSTERED_COLUMNS)


# --------------------------------------------------------------------------- correlations

CORRELATION_COLUMNS = ["x", "y", "method", "n", "r", "ci_low", "ci_high", "p_value", "p_holm"]


def _correlate(x: pd.Series, y: pd.Series, method: str, level: float) -> dict:
    import pingouin as pg

    ok = x.notna() & y.notna()
    xs, ys = x[ok].astype(float).to_numpy(), y[ok].astype(float).to_numpy()
    n = len(xs)
    if n < 4 or np.std(xs) == 0 or np.std(ys) == 0:
        return {"n": n, "r": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    res = pg.corr(xs, ys, method="spearman" if method == "spearman" else "pearson")
    r = float(res["r"].iloc[0])
    p = float(res[[c for c in res.columns if c.startswith("p")][0]].iloc[0])
    low, high = pg.compute_esci(stat=r, nx=n, eftype="r", confidence=level, decimals=12)
    return {"n": n, "r": r, "ci_low": float(low), "ci_high": float(high), "p_value": p}


def correlations(learners: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Change in cultural competence against the post support score (Spearman);
    previous activism against each outcome (phi, the Pearson r of two binaries);
    age against each outcome (point-biserial, the Pearson r of a binary and a
    number). Confidence intervals by Fisher's z; p-values Holm-adjusted together."""
    rows = [
        {
            "x": "cc_change",
            "y": "support_post_mean",
            "method": "spearman",
            **_correlate(learners["cc_change"], learners["support_post_mean"], "spearman", level),
        }
    ]
    for outcome in OUTCOMES:
        y = learners[outcome].astype("Float64")
        rows.append(
            {
                "x": "previous_activism",
                "y": outcome,
                "method": "phi",
                **_correlate(learners["previous_activism"].astype("Float64"), y, "pearson", level),
            }
        )
        rows.append(
            {
                "x": "age",
                "y": outcome,
                "method": "point_biserial",
                **_correlate(learners["age"].astype("Float64"), y, "pearson", level),
            }
        )
    table = pd.DataFrame(rows)
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table[CORRELATION_COLUMNS]


def outcomes_by_stratum(learners: pd.DataFrame, arms: Arms, stratum: str = "previous_activism") -> pd.DataFrame:
    """Events, n and percentage per outcome, stratum and arm."""
    rows = []
    for outcome in OUTCOMES:
        for value in sorted(learners[stratum].dropna().unique()):
            part = learners[(learners[stratum] == value) & learners[outcome].notna()]
            row: dict = {"outcome": outcome, "stratum": stratum, "level": _label(value)}
            for arm, prefix in ((arms.control, "control"), (arms.intervention, "intervention")):
                y = part.loc[part["group"] == arm, outcome].astype(bool)
                row[f"{prefix}_events"], row[f"{prefix}_n"] = int(y.sum()), int(len(y))
                row[f"{prefix}_percent"] = y.sum() * 100 / len(y) if len(y) else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _label(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return str(value)


# --------------------------------------------------------------------------- power

POWER_COLUMNS = [
    "outcome",
    "control_percent",
    "target_percent",
    "min_difference",
    "alpha_holm",
    "cohen_w",
    "n_per_arm_80",
    "n_per_arm_90",
    "n_per_arm_analysed",
    "power_here",
]


def cohen_w(p0: float, p1: float) -> float:
    """Cohen's w for a 2x2 table with equal arms and proportions p0 and p1."""
    pbar = (p0 + p1) / 2
    if pbar in (0, 1):
        return 0.0
    return abs(p1 - p0) / (2 * math.sqrt(pbar * (1 - pbar)))


def exact_power(n: int, p0: float, p1: float, *, alpha: float = 0.05, min_expected: float = 5.0) -> float:
    """Exact power, with ``n`` learners per arm, of the test this compendium would use
    (:func:`compendium.quantitative.stats.compare_proportions`): Pearson's chi-square without
    continuity correction when every expected count reaches ``min_expected``, else
    Fisher's exact test (two-sided), decided table by table as the analysis decides it.

    Every possible pair of event counts is enumerated with its binomial probability
    under p0 (control) and p1 (intervention) and the rejections at ``alpha`` summed:
    the limit of a simulation with infinitely many replicates, without its noise.
    Tables with no event, or only events, are never rejected (the analysis reports p = 1).
    """
    from scipy import stats as sps

    def support(p: float) -> np.ndarray:  # the counts that carry all but 1e-12 of the probability
        return np.arange(int(sps.binom.ppf(1e-13, n, p)), int(sps.binom.isf(1e-13, n, p)) + 1)

    c, i = support(p0), support(p1)
    joint = np.outer(sps.binom.pmf(c, n, p0), sps.binom.pmf(i, n, p1))  # control events x intervention events
    x0, x1 = np.meshgrid(c, i, indexing="ij")
    m = x0 + x1
    total = 2 * n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = total * (x1 * (n - x0) - (n - x1) * x0) ** 2 / (n * n * m * (total - m))
        p_chi2 = sps.chi2.sf(chi2, 1)
    smallest = np.minimum(m, total - m) / 2  # smallest expected count of the table
    reject = (smallest >= min_expected) & (m > 0) & (m < total) & (p_chi2 < alpha)
    for events in np.unique(m[(smallest < min_expected) & (m > 0) & (m < total)]):
        # Fisher's two-sided p: the tables of the same margins no more probable than the one seen
        k = np.arange(max(0, events - n), min(n, events) + 1)
        pmf = sps.hypergeom.pmf(k, total, events, n)
        p_fisher = np.array([pmf[pmf <= q * (1 + 1e-7)].sum() for q in pmf])
        rows, cols = events - k - c[0], k - i[0]
        inside = (rows >= 0) & (rows < len(c)) & (cols >= 0) & (cols < len(i))
        reject[rows[inside], cols[inside]] = p_fisher[inside] < alpha
    return float(joint[reject].sum())


def n_for_power(
    p0: float, p1: float, power: float, *, alpha: float = 0.05, min_expected: float = 5.0, n_max: int = 100_000
) -> float:
    """The smallest learners per arm whose :func:`exact_power` reaches ``power``, by
    bisection between 2 and ``n_max`` (NaN beyond it: plan with a larger effect). Power
    under a discrete test rises in a sawtooth; the bisection finds a size where it is
    reached and the table reports the power actually achieved at this study's size."""
    from statsmodels.stats.power import GofChisquarePower

    if p0 == p1:
        return math.nan

    def reached(n: int) -> bool:
        return exact_power(n, p0, p1, alpha=alpha, min_expected=min_expected) >= power

    # start from the large-sample chi-square answer, then bracket and bisect
    guess = GofChisquarePower().solve_power(effect_size=cohen_w(p0, p1), nobs=None, alpha=alpha, power=power, n_bins=2)
    hi = max(2, math.ceil(guess / 2))
    lo = max(1, hi // 2)
    while not reached(hi):
        lo, hi = hi, 2 * hi
        if hi > n_max:
            return math.nan
    while lo > 1 and reached(lo):
        lo, hi = lo // 2, lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reached(mid):
            hi = mid
        else:
            lo = mid
    return float(hi)


def power_planning(
    table2: pd.DataFrame, *, alpha: float = 0.05, min_difference: float = 15.0, min_expected: float = 5.0
) -> pd.DataFrame:
    """Learners per arm a replication needs for 80% and 90% power to detect the smallest
    effect of interest, ``min_difference`` percentage points (params.yaml), from this
    study's control percentage (upwards, or downwards where that would pass 100%), for
    the test the analysis would use (:func:`exact_power`: chi-square or Fisher's exact
    test by the expected-count rule), at the first Holm threshold alpha / m for the m
    outcomes of Table 2 (the level the smallest p must reach; a conservative plan for
    every outcome under Holm's procedure). Equal arms. ``power_here``: the power of
    this study's size (the smaller arm) for that effect. Not the observed effect:
    power computed from it adds nothing to the p-value (Hoenig and Heisey 2001)."""
    rows = []
    m = int(table2["p_value"].notna().sum()) or len(table2)
    alpha_holm = alpha / max(m, 1)
    for r in table2.itertuples(index=False):
        row = dict.fromkeys(POWER_COLUMNS, math.nan) | {
            "outcome": r.outcome,
            "min_difference": min_difference,
            "alpha_holm": alpha_holm,
        }
        n_arm = min(r.control_n, r.intervention_n)
        row["n_per_arm_analysed"] = n_arm
        if not r.control_n:
            rows.append(row)
            continue
        p0 = r.control_events / r.control_n
        d = min_difference / 100
        p1 = p0 + d if p0 + d <= 1 else p0 - d
        if not 0 <= p1 <= 1:
            rows.append(row)
            continue
        row |= {"control_percent": 100 * p0, "target_percent": 100 * p1, "cohen_w": cohen_w(p0, p1)}
        for power, column in ((0.8, "n_per_arm_80"), (0.9, "n_per_arm_90")):
            row[column] = n_for_power(p0, p1, power, alpha=alpha_holm, min_expected=min_expected)
        if n_arm:
            row["power_here"] = exact_power(int(n_arm), p0, p1, alpha=alpha_holm, min_expected=min_expected)
        rows.append(row)
    return pd.DataFrame(rows, columns=POWER_COLUMNS)
