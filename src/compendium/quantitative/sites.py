"""Several sites: Table 2 per site and a random-effects pooling across sites.

Pooling follows DerSimonian and Laird (1986): inverse-variance weights, the
method-of-moments between-site variance tau-squared, and I-squared from Cochran's Q.
Risk differences use the Wald variance; log odds ratios the Woolf variance, with 0.5
added to every cell of a site's table that has an empty cell. A site that carries no
information on a measure is left out of that measure's pooling and the ``note`` says so:
an arm without analysed learners (both measures), no learner or every learner with the
outcome in both arms (the odds ratio is not estimable there, and the risk difference
has no variance). With fewer than two informative sites the pooled row is blank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from compendium.core.config import Arms
from compendium.quantitative.outcomes import TABLE2_COLUMNS, table2

META_COLUMNS = [
    "outcome",
    "measure",
    "sites",
    "estimate",
    "ci_low",
    "ci_high",
    "se",
    "p_value",
    "tau2",
    "i2",
    "q",
    "q_p_value",
    "note",
]


def table2_by_site(
    learners: pd.DataFrame, arms: Arms, *, min_expected: float = 5.0, level: float = 0.95
) -> pd.DataFrame:
    """Table 2 computed within each site (the Table 2 columns plus ``site``)."""
    frames = []
    for site in sorted(learners["site"].dropna().unique()):
        t = table2(learners[learners["site"] == site], arms, min_expected=min_expected, level=level)
        frames.append(t.assign(site=site))
    return pd.concat(frames, ignore_index=True)[["site", *TABLE2_COLUMNS]]


def site_effects(by_site: pd.DataFrame) -> pd.DataFrame:
    """Each site's risk difference and log odds ratio with their variances."""
    rows = []
    for r in by_site.itertuples(index=False):
        e1, n1, e0, n0 = r.intervention_events, r.intervention_n, r.control_events, r.control_n
        if not n1 or not n0:
            rows.append(
                {
                    "site": r.site,
                    "outcome": r.outcome,
                    "rd": math.nan,
                    "rd_var": math.nan,
                    "log_or": math.nan,
                    "log_or_var": math.nan,
                }
            )
            continue
        p1, p0 = e1 / n1, e0 / n0
        rd_var = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0
        cells = np.array([e1, n1 - e1, e0, n0 - e0], dtype=float)
        if e1 + e0 == 0 or e1 + e0 == n1 + n0:
            rows.append(
                {
                    "site": r.site,
                    "outcome": r.outcome,
                    "rd": p1 - p0,
                    "rd_var": rd_var,
                    "log_or": math.nan,
                    "log_or_var": math.nan,
                }
            )
            continue
        if (cells == 0).any():
            cells = cells + 0.5
        log_or = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
        rows.append(
            {
                "site": r.site,
                "outcome": r.outcome,
                "rd": p1 - p0,
                "rd_var": rd_var,
                "log_or": log_or,
                "log_or_var": float((1 / cells).sum()),
            }
        )
    return pd.DataFrame(rows)


def dersimonian_laird(y: np.ndarray, v: np.ndarray, level: float = 0.95) -> dict:
    """Random-effects pooled estimate of effects ``y`` with within-site variances ``v``."""
    from scipy.stats import chi2, norm

    y, v = np.asarray(y, float), np.asarray(v, float)
    k = len(y)
    if k < 2 or (v <= 0).any():
        raise ValueError(f"pooling needs at least two sites with positive variances, found {k}")
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = float((w * (y - fixed) ** 2).sum())
    c = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (q - (k - 1)) / c)
    w_re = 1 / (v + tau2)
    est = float((w_re * y).sum() / w_re.sum())
    se = float(math.sqrt(1 / w_re.sum()))
    z = norm.ppf(1 - (1 - level) / 2)
    return {
        "sites": k,
        "estimate": est,
        "ci_low": est - z * se,
        "ci_high": est + z * se,
        "se": se,
        "p_value": float(2 * norm.sf(abs(est / se))),
        "tau2": tau2,
        "i2": max(0.0, (q - (k - 1)) / q) * 100 if q > 0 else 0.0,
        "q": q,
        "q_p_value": float(chi2.sf(q, k - 1)),
    }


def no_pooling() -> pd.DataFrame:
    """The pooled table of a one-site study: the columns of :func:`meta_analysis`, no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c not in ("outcome", "measure", "note") else "object") for c in META_COLUMNS}
    )


def meta_analysis(by_site: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per outcome, the pooled risk difference and log odds ratio across sites
    (``odds_ratio`` rows give the pooled log OR back-transformed)."""
    effects = site_effects(by_site)
    rows = []
    for outcome, part in effects.groupby("outcome", sort=False):
        rd = _pool(part, "rd", level)
        lor = _pool(part, "log_or", level)
        rows.append({"outcome": outcome, "measure": "risk_difference", **rd})
        rows.append({"outcome": outcome, "measure": "log_odds_ratio", **lor})
        rows.append(
            {
                "outcome": outcome,
                "measure": "odds_ratio",
                **lor,
                **{k: math.exp(lor[k]) for k in ("estimate", "ci_low", "ci_high")},
            }
        )
    return pd.DataFrame(rows, columns=META_COLUMNS)


def _pool(part: pd.DataFrame, measure: str, level: float) -> dict:
    """The pooling of one measure over the sites that carry information on it."""
    y, v = part[measure].to_numpy(float), part[f"{measure}_var"].to_numpy(float)
    usable = np.isfinite(y) & np.isfinite(v) & (v > 0)
    left_out = sorted(map(str, part.loc[~usable, "site"]))
    note = f"left out (no information): {', '.join(left_out)}" if left_out else ""
    if usable.sum() < 2:
        blank = dict.fromkeys(
            ("estimate", "ci_low", "ci_high", "se", "p_value", "tau2", "i2", "q", "q_p_value"), math.nan
        )
        return {
            "sites": int(usable.sum()),
            **blank,
            "note": "not estimable: fewer than two sites with information" + (f"; {note}" if note else ""),
        }
    return {**dersimonian_laird(y[usable], v[usable], level), "note": note}
