"""Replication: each claim of the original study judged against a new study's estimates.

The original study's claims are read from its record (``data/reference/published.yaml``,
the file :mod:`compendium.checks.verification` reads). A *claim* here is a comparison
between the arms that the original reports: for each outcome of Table 2, the percentage
of learners with the outcome in each arm and the p-value of the difference. Every other
number of the record (who enrolled, the baseline characteristics of Table 1, anything a
replication's data have no value for) is listed as one the data *cannot speak to*,
with the reason.

All estimates are risk differences (intervention minus control), as proportions: the
scale of Table 2's ``risk_difference``. Three rules, with the significance level
``alpha`` and the confidence level set in ``params.yaml``, judge each claim, at each
site and pooled across sites:

(a) **Significance**: the estimate has the original's sign and its test gives
    p < alpha. At a site, the test of Table 2 (Pearson's chi-square, or Fisher's exact
    test when an expected count is small, unadjusted); pooled, the random-effects z test.
(b) **Original inside the interval**: the original risk difference lies inside the
    site's confidence interval (Newcombe's hybrid score interval, as Table 2 prints it);
    pooled, inside the prediction interval across sites (Higgins, Thompson and
    Spiegelhalter 2009), which with fewer than three sites is not defined, so the
    pooled confidence interval stands in for it.
(c) **Small telescopes** (Simonsohn 2015): d33 is the effect the original study had a
    33% chance to detect (its arm sizes, a two-sided test at alpha). It is found on
    Cohen's h scale (arcsine difference; Cohen 1988), where the power of the two-sample
    test of proportions depends on the sizes only, and expressed as a risk difference
    at the original control rate. The replication is *significantly smaller than d33*
    when the one-sided upper (1 - alpha) bound of its estimate, in the original's
    direction, lies below d33: at a site the upper limit of the (1 - 2 alpha) Newcombe
    interval; pooled, estimate + z(1 - alpha) SE.

Verdict (:func:`combine`): **not replicated** when (c) finds the estimate significantly
smaller than d33, or when the estimate is significant in the direction opposite to the
original, or when it is not significant and (b) excludes the original estimate;
**replicated** when (a) holds (and (c) does not reject); **inconclusive** otherwise
(not significant, the original inside the interval, and not significantly smaller than
d33: too imprecise to tell).

On the shipped synthetic twin of the original (written to reproduce its numbers) there is
nothing to judge: the stage still writes ``replication.json`` and ``.md``, with the rules
and no rows (:func:`not_applicable`), so that the pipeline's outputs are the same files
whatever the data.

The pooling is that of :mod:`compendium.quantitative.sites` (DerSimonian and Laird
1986, Wald variances of the risk differences), with tau-squared and I-squared.

The module also holds what ``compendium plan`` records (the analysis plan frozen before
the outcome data: parameters, code version, primary outcome, with a SHA-256 hash) and
how a run is compared with it, and what ``compendium replicate`` checks of a team's
study description.

References
----------
Simonsohn U (2015). Small telescopes: detectability and the evaluation of replication
results. Psychological Science 26(5):559-569. doi:10.1177/0956797614567341.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
meta-analysis. J R Stat Soc A 172(1):137-159. doi:10.1111/j.1467-985X.2008.00552.x.
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials 7(3):177-188. doi:10.1016/0197-2456(86)90046-2.
Newcombe RG (1998). Interval estimation for the difference between independent
proportions. Statistics in Medicine 17(8):873-890.
Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 6.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

import pandas as pd

VERDICTS = ("replicated", "not replicated", "inconclusive")
CANNOT = "cannot speak to"
POOLED = "pooled"
ROW_COLUMNS = [
    "claim",
    "outcome",
    "primary",
    "site",
    "original",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "interval",
    "interval_low",
    "interval_high",
    "d33",
    "upper_bound",
    "same_direction",
    "significant",
    "original_in_interval",
    "below_d33",
    "verdict",
    "rule",
    "n_control",
    "n_intervention",
    "sites",
    "tau2",
    "i2",
]
_TABLE2_KEY = re.compile(r"table2\.(?P<outcome>\w+)\.(?P<part>control_percent|intervention_percent|p_value)")


@dataclass(frozen=True)
class Rules:
    """The replication rules' settings (``params.yaml`` ``replication``; the confidence
    level is the tables', ``outcomes.ci_level``)."""

    alpha: float = 0.05
    level: float = 0.95
    telescope_power: float = 0.33

    def __post_init__(self) -> None:
        for name in ("alpha", "level", "telescope_power"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ValueError(f"params.yaml replication.{name}: expected a number between 0 and 1, found {value!r}")
        if self.telescope_power <= self.alpha:
            raise ValueError(
                f"params.yaml replication.telescope_power ({self.telescope_power}) must exceed alpha ({self.alpha})"
            )


def rules_text(rules: Rules) -> dict[str, str]:
    """The rules in words, with their settings (printed before any result)."""
    lvl, a = _pct(rules.level), f"{rules.alpha:g}"
    one_sided = _pct(1 - 2 * rules.alpha)
    return {
        "scale": "risk difference, intervention minus control (a proportion; the table prints percentage points)",
        "a": f"(a) significance: same sign as the original and p < {a} (site: Table 2's chi-square or Fisher test, "
        "unadjusted; pooled: random-effects z test)",
        "b": f"(b) original inside the interval: the site's {lvl} Newcombe CI; pooled, the {lvl} prediction "
        "interval across sites (Higgins et al. 2009), cut to the risk difference's range of -100 to 100 points "
        "(with fewer than three sites the pooled CI)",
        "c": f"(c) small telescopes (Simonsohn 2015): d33 is the risk difference the original had "
        f"{_pct(rules.telescope_power)} power to detect (two-sided test at {a}, Cohen's h at the original arm "
        f"sizes, at the original control rate); the replication is significantly smaller when its one-sided "
        f"upper {_pct(1 - rules.alpha)} bound (site: upper limit of the {one_sided} Newcombe CI; pooled: "
        f"estimate + z SE) is below d33",
        "verdict": "not replicated: (c) significantly smaller than d33, or significant in the opposite direction, "
        "or not significant with the original outside the interval (b); replicated: (a) holds; "
        "inconclusive: otherwise",
    }


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


# --------------------------------------------------------------------------- the original's claims


def original_claims(doc: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the original record into claims a replication can judge and the rest.

    Parameters
    ----------
    doc : dict
        The record as read from ``published.yaml`` (``claims``: id, where, text, value,
        kind, key).

    Returns
    -------
    claims : DataFrame
        One row per outcome compared between the arms: ``claim`` (``table2.<outcome>``),
        ``outcome``, ``label``, ``control``/``intervention`` (proportions),
        ``n_control``/``n_intervention`` (the original arm sizes, Table 1's header; NaN
        when the record lacks them), ``original`` (risk difference), ``p_text``,
        ``published_ids`` (every record id that states part of it).
    others : DataFrame
        ``claim`` (record id), ``where``, ``text``, ``original``, ``reason``: the numbers
        that are not a comparison of the arms' outcomes.
    """
    records = doc.get("claims") or []
    n = {}
    for c in records:
        m = re.fullmatch(r"table1\.n\.n\.(control|intervention)", str(c.get("key", "")))
        if m:
            n[m.group(1)] = float(c["value"])
    parts: dict[str, dict] = {}
    others = []
    for c in records:
        m = _TABLE2_KEY.fullmatch(str(c.get("key", "")))
        if m:
            entry = parts.setdefault(m.group("outcome"), {"ids": []})
            entry["ids"].append(c["id"])
            entry.setdefault(m.group("part"), c)
            continue
        others.append(c)
    rows = []
    for outcome, entry in parts.items():
        if "control_percent" not in entry or "intervention_percent" not in entry:
            others += [c for c in records if c["id"] in entry["ids"]]
            continue
        c0, c1 = entry["control_percent"], entry["intervention_percent"]
        p = entry.get("p_value")
        label = str(c0.get("where", "")).split(", ", 1)[-1] or outcome
        rows.append(
            {
                "claim": f"table2.{outcome}",
                "outcome": outcome,
                "label": label,
                "control": float(c0["value"]) / 100,
                "intervention": float(c1["value"]) / 100,
                "n_control": n.get("control", math.nan),
                "n_intervention": n.get("intervention", math.nan),
                "original": (float(c1["value"]) - float(c0["value"])) / 100,
                "p_text": (f"p < {p['value']:g}" if p.get("kind") == "p_below" else f"p = {p['value']:g}") if p else "",
                "published_ids": sorted(entry["ids"]),
            }
        )
    claims = pd.DataFrame(
        rows,
        columns=[
            "claim",
            "outcome",
            "label",
            "control",
            "intervention",
            "n_control",
            "n_intervention",
            "original",
            "p_text",
            "published_ids",
        ],
    )
    rest = [
        {
            "claim": c["id"],
            "where": c.get("where", ""),
            "text": c.get("text", ""),
            "original": c.get("value"),
            "reason": _reason(c),
        }
        for c in others
    ]
    return claims, pd.DataFrame(rest, columns=["claim", "where", "text", "original", "reason"])


def _reason(claim: dict) -> str:
    key = str(claim.get("key", ""))
    if key.startswith("table1."):
        return (
            "describes whom the original study enrolled (a baseline characteristic), not an effect of the "
            "intervention; the replication's own sample is described in its Table 1"
        )
    if key.startswith("table2."):
        return "part of an arm comparison whose other numbers the record does not give"
    return f"no comparison of the arms that these data can estimate (results key {key or 'none'})"


# --------------------------------------------------------------------------- the three rules


def power_two_proportions(h: float, n1: float, n2: float, alpha: float) -> float:
    """Power of the two-sided two-sample z test of proportions for Cohen's h ``h``.

    ``Phi(|h| / s - z) + Phi(-|h| / s - z)`` with ``s = sqrt(1/n1 + 1/n2)`` and ``z`` the
    ``1 - alpha/2`` normal quantile (Cohen 1988, ch. 6; what statsmodels'
    ``NormalIndPower`` computes with ``effect_size=h, nobs1=n1, ratio=n2/n1``)."""
    from scipy.stats import norm

    s = math.sqrt(1 / n1 + 1 / n2)
    z = norm.ppf(1 - alpha / 2)
    return float(norm.cdf(abs(h) / s - z) + norm.cdf(-abs(h) / s - z))


def h_for_power(n1: float, n2: float, alpha: float, power: float) -> float:
    """Cohen's h that the two-sided test at ``alpha`` with arms ``n1``, ``n2`` detects
    with probability ``power`` (the root of :func:`power_two_proportions`)."""
    from scipy.optimize import brentq

    if not power > alpha / 2:
        raise ValueError(f"a power of {power} is below what no effect gives ({alpha / 2})")
    return float(brentq(lambda h: power_two_proportions(h, n1, n2, alpha) - power, 0.0, 2 * math.pi, xtol=1e-12))


def d33(
    p_control: float,
    n_control: float,
    n_intervention: float,
    alpha: float,
    power: float = 0.33,
    direction: int = 1,
) -> float:
    """Simonsohn's (2015) d33 as a risk difference: the change from the control rate
    ``p_control`` (an increase, or with ``direction=-1`` a decrease) that the original
    study (arms ``n_control``, ``n_intervention``) had probability ``power`` to detect
    with a two-sided test at ``alpha``; returned as a magnitude.

    Cohen's h ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))`` is solved for the power, then
    ``p1 = sin(asin(sqrt(p0)) +- h/2)**2`` (kept within 0 and 1) gives ``|p1 - p0|``. NaN
    when the arm sizes are unknown."""
    if not (n_control > 0 and n_intervention > 0) or not 0 <= p_control <= 1:
        return math.nan
    h = h_for_power(n_intervention, n_control, alpha, power)
    base = math.asin(math.sqrt(p_control))
    if direction >= 0:
        return math.sin(min(base + h / 2, math.pi / 2)) ** 2 - p_control
    return p_control - math.sin(max(base - h / 2, 0.0)) ** 2


def prediction_interval(
    estimate: float, se: float, tau2: float, k: int, level: float, bounds: tuple[float, float] | None = None
) -> tuple[float, float]:
    """The random-effects prediction interval for the effect in a new site:
    ``estimate +- t(k-2) sqrt(tau2 + se**2)`` (Higgins, Thompson and Spiegelhalter 2009),
    cut to ``bounds``, the values the effect can take (a risk difference lies in
    [-1, 1]: with three sites t(1) = 12.7 gave -438 to 548 percentage points).
    NaNs with fewer than three sites (no degrees of freedom)."""
    from scipy.stats import t

    if k < 3 or not all(map(math.isfinite, (estimate, se, tau2))):
        return math.nan, math.nan
    half = t.ppf(1 - (1 - level) / 2, k - 2) * math.sqrt(tau2 + se**2)
    low, high = estimate - half, estimate + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return low, high


def combine(
    same_direction: bool, significant: bool, original_in_interval: bool | None, below_d33: bool | None
) -> tuple[str, str]:
    """The verdict from the three rules and the rule that decided it (module docstring)."""
    if below_d33:
        return "not replicated", "(c) significantly smaller than d33"
    if significant and not same_direction:
        return "not replicated", "(a) significant in the direction opposite to the original"
    if significant:
        return "replicated", "(a) same direction and significant"
    if original_in_interval is False:
        return "not replicated", "(a) not significant and (b) the original estimate outside the interval"
    return "inconclusive", "(a) not significant, (b) the original inside the interval, (c) not below d33"


def _d33_of(claim, rules: Rules) -> float:
    """d33 of one original claim, in its direction (a magnitude)."""
    direction = 1 if claim.original >= 0 else -1
    return d33(claim.control, claim.n_control, claim.n_intervention, rules.alpha, rules.telescope_power, direction)


def _judge(
    original: float, estimate: float, p_value: float, interval: tuple[float, float], upper: float, small: float, alpha
):
    sign = 1.0 if original >= 0 else -1.0
    same = bool(sign * estimate > 0)
    significant = bool(p_value < alpha)
    lo, hi = interval
    inside = None if not (math.isfinite(lo) and math.isfinite(hi)) else bool(lo <= original <= hi)
    below = None if not (math.isfinite(small) and math.isfinite(upper)) else bool(upper < abs(small))
    verdict, rule = combine(same, significant, inside, below)
    return same, significant, inside, below, verdict, rule


# --------------------------------------------------------------------------- judging


def judge_sites(claims: pd.DataFrame, by_site: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, list[dict]]:
    """Each claim at each site.

    Parameters
    ----------
    claims : DataFrame
        From :func:`original_claims`.
    by_site : DataFrame
        Table 2 per site (:func:`compendium.quantitative.sites.table2_by_site`): site,
        outcome, arm counts, ``p_value``, ``risk_difference``, ``rd_ci_low``,
        ``rd_ci_high`` (at ``rules.level``).
    rules : Rules

    Returns
    -------
    rows : DataFrame with :data:`ROW_COLUMNS`; cannot : list of dicts for the
    claim-site pairs the data cannot estimate.
    """
    from compendium.quantitative.stats import newcombe_interval

    rows, cannot = [], []
    for c in claims.itertuples(index=False):
        small = _d33_of(c, rules)
        for r in by_site[by_site["outcome"] == c.outcome].itertuples(index=False):
            if not (r.control_n and r.intervention_n) or not math.isfinite(r.risk_difference):
                cannot.append({"claim": c.claim, "site": str(r.site), "reason": "an arm has no learner analysed"})
                continue
            e1, n1, e0, n0 = int(r.intervention_events), int(r.intervention_n), int(r.control_events), int(r.control_n)
            lo90, hi90 = newcombe_interval(e1, n1, e0, n0, 1 - 2 * rules.alpha)
            upper = hi90 if c.original >= 0 else -lo90
            judged = _judge(
                c.original, r.risk_difference, r.p_value, (r.rd_ci_low, r.rd_ci_high), upper, small, rules.alpha
            )
            rows.append(
                _row(
                    c,
                    str(r.site),
                    r.risk_difference,
                    r.rd_ci_low,
                    r.rd_ci_high,
                    r.p_value,
                    ("CI", r.rd_ci_low, r.rd_ci_high),
                    small,
                    upper,
                    judged,
                    n0,
                    n1,
                )
            )
    return pd.DataFrame(rows, columns=ROW_COLUMNS), cannot


def judge_pooled(claims: pd.DataFrame, pooled: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, list[dict]]:
    """Each claim against the random-effects pooled risk difference.

    ``pooled`` is :func:`compendium.quantitative.sites.meta_analysis`'s frame (its
    ``risk_difference`` rows are used: estimate, ci_low, ci_high, se, p_value, tau2, i2,
    sites)."""
    from scipy.stats import norm

    rows, cannot = [], []
    rd = pooled[pooled["measure"] == "risk_difference"].set_index("outcome")
    z = norm.ppf(1 - rules.alpha)
    for c in claims.itertuples(index=False):
        if c.outcome not in rd.index or not math.isfinite(rd.at[c.outcome, "estimate"]):
            note = rd.at[c.outcome, "note"] if c.outcome in rd.index else "no site has this outcome"
            cannot.append({"claim": c.claim, "site": POOLED, "reason": f"no pooled estimate: {note}"})
            continue
        m = rd.loc[c.outcome]
        small = _d33_of(c, rules)
        k = int(m["sites"])
        pi = prediction_interval(m["estimate"], m["se"], m["tau2"], k, rules.level, bounds=(-1.0, 1.0))
        interval = ("PI", *pi) if math.isfinite(pi[0]) else ("CI (fewer than three sites)", m["ci_low"], m["ci_high"])
        sign = 1.0 if c.original >= 0 else -1.0
        upper = sign * m["estimate"] + z * m["se"]
        judged = _judge(c.original, m["estimate"], m["p_value"], interval[1:], upper, small, rules.alpha)
        row = _row(
            c,
            POOLED,
            m["estimate"],
            m["ci_low"],
            m["ci_high"],
            m["p_value"],
            interval,
            small,
            upper,
            judged,
            None,
            None,
        )
        row.update(sites=k, tau2=float(m["tau2"]), i2=float(m["i2"]))
        rows.append(row)
    return pd.DataFrame(rows, columns=ROW_COLUMNS), cannot


def _row(c, site, estimate, lo, hi, p, interval, small, upper, judged, n0, n1) -> dict:
    same, significant, inside, below, verdict, rule = judged
    return {
        "claim": c.claim,
        "outcome": c.outcome,
        "primary": False,
        "site": site,
        "original": float(c.original),
        "estimate": float(estimate),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
        "interval": interval[0],
        "interval_low": float(interval[1]),
        "interval_high": float(interval[2]),
        "d33": float(small),
        "upper_bound": float(upper),
        "same_direction": same,
        "significant": significant,
        "original_in_interval": inside,
        "below_d33": below,
        "verdict": verdict,
        "rule": rule,
        "n_control": n0,
        "n_intervention": n1,
        "sites": 1 if site != POOLED else None,
        "tau2": None,
        "i2": None,
    }


def judge(doc: dict, by_site: pd.DataFrame, pooled: pd.DataFrame | None, rules: Rules, primary: str = "") -> dict:
    """The replication report as plain data (what ``replication.json`` holds).

    ``pooled`` is None with one site (nothing to pool). ``claims``: one row per claim
    and site, then the pooled rows; ``cannot_speak_to``: every number of the record the
    data cannot judge, and claim-site pairs without an estimate."""
    claims, others = original_claims(doc)
    site_rows, cannot = judge_sites(claims, by_site, rules)
    frames = [site_rows]
    if pooled is not None:
        pooled_rows, more = judge_pooled(claims, pooled, rules)
        frames.append(pooled_rows)
        cannot += more
    rows = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else site_rows
    rows["primary"] = rows["outcome"] == primary
    order = {c: i for i, c in enumerate(claims["claim"])}
    rows = rows.assign(_c=rows["claim"].map(order), _p=rows["site"] == POOLED)
    rows = rows.sort_values(["_c", "_p", "site"], kind="stable").drop(columns=["_c", "_p"])
    counts = rows["verdict"].value_counts().to_dict()
    report = {
        "applies": True,
        "rules": rules_text(rules) | {"alpha": rules.alpha, "level": rules.level, "power": rules.telescope_power},
        "original_claims": claims.to_dict("records"),
        "claims": [_clean(r) for r in rows.to_dict(orient="records")],
        "cannot_speak_to": [
            {"claim": r["claim"], "site": "", "original": r["original"], "reason": r["reason"]}
            for r in others.to_dict("records")
        ]
        + [{"claim": r["claim"], "site": r["site"], "original": None, "reason": r["reason"]} for r in cannot],
        "summary": {v: int(counts.get(v, 0)) for v in VERDICTS}
        | {"rows": len(rows), "claims": len(claims), "cannot_speak_to": len(others) + len(cannot)},
    }
    return report | {"headline": headline(report)}


def _clean(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and math.isnan(v):
            v = None
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out


def not_applicable(rules: Rules) -> dict:
    """The report on the shipped synthetic twin of the original study: nothing to judge
    (the data were written to reproduce the original), the same files and keys."""
    report = {
        "applies": False,
        "reason": "These data are the compendium's synthetic twin of the original study, written to reproduce its "
        "published numbers; a replication report applies to another study's data (see reports/verification.md "
        "for the check of the published numbers)",
        "rules": rules_text(rules) | {"alpha": rules.alpha, "level": rules.level, "power": rules.telescope_power},
        "original_claims": [],
        "claims": [],
        "cannot_speak_to": [],
        "summary": dict.fromkeys(VERDICTS, 0) | {"rows": 0, "claims": 0, "cannot_speak_to": 0},
    }
    return report | {"headline": headline(report)}


# --------------------------------------------------------------------------- the report in words


def _num(x, spec: str = ".1f", scale: float = 100) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x * scale, spec)


def headline(report: dict) -> str:
    """The report's opening sentence: verdict counts (rows are claim-site pairs)."""
    if not report["applies"]:
        return "This report applies to a replication's data, not to the shipped synthetic twin of the original study."
    s = report["summary"]
    return (
        f"{s['claims']} claim(s) of the original study were judged in these data, {s['rows']} time(s) in all "
        f"(per site and pooled): **{s['replicated']} replicated**, {s['not replicated']} not replicated, "
        f"{s['inconclusive']} inconclusive; {s['cannot_speak_to']} number(s) of the original record are "
        "ones these data cannot speak to."
    )


def markdown(report: dict, note: str = "", plan: dict | None = None) -> str:
    """``replication.md``: the rules first, then the verdicts, what the data cannot
    speak to and the comparison with the frozen analysis plan. The rules are said to be
    fixed before the results only when the run followed a frozen plan; on data the
    report does not apply to, one sentence says so (the reason), nothing more."""
    plan = plan or report.get("plan") or {}
    lines = ["# Replication of the original study's claims", ""]
    if report["applies"]:
        lines += [headline(report), ""] + ([note, ""] if note else [])
    else:
        # one disclaimer: the reason says what the data are and where the report applies
        lines += [report["reason"] + ".", ""]
    fixed = ", fixed before the results by the frozen analysis plan" if plan.get("followed") else ""
    lines += [f"## Rules (set in params.yaml `replication`{fixed})", ""]
    lines += [f"- Scale: {report['rules']['scale']}."] + [f"- {report['rules'][k]}." for k in ("a", "b", "c")]
    lines += [f"- Verdict: {report['rules']['verdict']}.", ""]
    if report["applies"]:
        lines += [
            "## Verdicts",
            "",
            "Risk differences in percentage points (intervention minus control).",
            "",
            "| Claim | Site | Original | Estimate (CI) | p | Interval for (b) | d33 | Upper bound | Verdict | Rule |",
            "| :--- | :--- | ---: | :--- | ---: | :--- | ---: | ---: | :--- | :--- |",
        ]
        from compendium.reporting.tables import fmt_p

        for r in report["claims"]:
            claim = r["claim"] + (" (primary)" if r["primary"] else "")
            site = r["site"] + (
                f" ({r['sites']} sites; tau² {r['tau2']:.4g}, I² {r['i2']:.1f}%)" if r["site"] == POOLED else ""
            )
            p_text = "" if r["p_value"] is None else fmt_p(r["p_value"])
            lines.append(
                f"| {claim} | {site} | {_num(r['original'])} | {_num(r['estimate'])} "
                f"({_num(r['ci_low'])} to {_num(r['ci_high'])}) | {p_text} | "
                f"{r['interval']} "
                f"{_num(r['interval_low'])} to {_num(r['interval_high'])} | {_num(r['d33'])} | "
                f"{_num(r['upper_bound'])} | {r['verdict']} | {r['rule']} |"
            )
        lines += ["", "## What these data cannot speak to", ""]
        by_reason: dict[str, list[str]] = {}
        for c in report["cannot_speak_to"]:
            by_reason.setdefault(c["reason"], []).append(c["claim"] + (f" ({c['site']})" if c["site"] else ""))
        lines += [f"- {reason}: {', '.join(names)}" for reason, names in by_reason.items()] or ["- nothing"]
        lines.append("")
    lines += ["## The analysis plan", ""]
    lines += [plan.get("statement", "No analysis plan was frozen (`compendium plan`).")]
    for d in plan.get("departures", []):
        lines.append(f"- `{d['parameter']}`: planned {d['planned']!r}, used {d['used']!r}")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the analysis plan

PLAN_KEY = "plan_sha256"  # params.yaml replication.plan_sha256: the frozen plan this analysis follows
PRIVATE_PARAMS = ("names", "institutions")  # under deidentify: identifiers, never copied out


def plan_params(params: dict) -> dict:
    """The parameters a plan records and a run is compared on: all of params.yaml but
    the plan's own hash, with the lists of names to redact replaced by their hash."""
    clean = json.loads(json.dumps(params, sort_keys=True, default=str))
    (clean.get("replication") or {}).pop(PLAN_KEY, None)
    for key in PRIVATE_PARAMS:
        value = (clean.get("deidentify") or {}).get(key)
        if value:
            clean["deidentify"][key] = "withheld, sha256 " + hashlib.sha256(str(value).encode("utf-8")).hexdigest()
    return clean


def canonical(data: dict) -> bytes:
    """The bytes a plan's hash is taken over: JSON, sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_plan(params: dict, commit: str | None, dirty: bool, version: str, data: dict) -> dict:
    """The analysis plan: parameters, code version, primary outcome and the state of the
    outcome data, with ``sha256`` over everything else (:func:`canonical`)."""
    plan = {
        "parameters": plan_params(params),
        "primary_outcome": str((params.get("outcomes") or {}).get("primary", "")),
        "code": {"commit": commit, "uncommitted_changes": dirty, "package_version": version},
        "data": data,
    }
    return plan | {"sha256": hashlib.sha256(canonical(plan)).hexdigest()}


def plan_hash(plan: dict) -> str:
    """The SHA-256 of a plan's content (all but its ``sha256`` field)."""
    return hashlib.sha256(canonical({k: v for k, v in plan.items() if k != "sha256"})).hexdigest()


def outcome_data_state(survey: pd.DataFrame | None) -> dict:
    """How much outcome data a survey table holds: post-wave rows and, among them, rows
    with any answer. ``None`` (no survey.csv yet) counts as none."""
    if survey is None:
        return {"post_rows": 0, "post_rows_answered": 0, "before_outcomes": True}
    wave = survey.get("wave", pd.Series(dtype=str)).astype(str).str.strip().str.lower()
    post = survey[wave == "post"]
    items = [c for c in post.columns if c not in ("participant_id", "wave")]
    answered = int((post[items].astype(str).apply(lambda s: s.str.strip()) != "").any(axis=1).sum()) if items else 0
    return {"post_rows": len(post), "post_rows_answered": answered, "before_outcomes": answered == 0}


def _flatten(data: dict, prefix: str = "") -> dict:
    out: dict = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flatten(v, key + ".")
        else:
            out[key] = v
    return out


def compare_with_plan(plan: dict | None, params: dict, expected_sha: str) -> dict:
    """Did this run follow the frozen plan? ``departures``: each parameter whose value
    differs from the plan's (added or removed ones too); ``intact``: the plan's content
    still has the hash params.yaml recorded when it was frozen."""
    if not expected_sha:
        return {
            "frozen": False,
            "followed": None,
            "departures": [],
            "statement": "No analysis plan was frozen "
            "(`compendium plan` records one before the outcome data are added).",
        }
    if plan is None:
        return {
            "frozen": True,
            "followed": False,
            "departures": [],
            "statement": f"params.yaml names a frozen plan (sha256 {expected_sha}) but reports/analysis-plan.json "
            "is missing: whether the run followed it cannot be shown.",
        }
    intact = plan_hash(plan) == expected_sha == plan.get("sha256")
    planned, used = _flatten(plan.get("parameters") or {}), _flatten(plan_params(params))
    departures = [
        {"parameter": k, "planned": planned.get(k), "used": used.get(k)}
        for k in sorted(set(planned) | set(used))
        if planned.get(k) != used.get(k)
    ]
    followed = intact and not departures
    parts = [f"The analysis plan frozen with sha256 {expected_sha}"]
    parts.append("is intact" if intact else "was changed after it was frozen (its content no longer has that hash)")
    code = plan.get("code") or {}
    answered = (plan.get("data") or {}).get("post_rows_answered")
    parts.append(
        f"(code {code.get('commit') or 'not under git'}, package {code.get('package_version')}; primary outcome "
        f"{plan.get('primary_outcome')}; outcome data when frozen: {answered} "
        "answered post-wave rows)."
    )
    parts.append(
        "This run followed it." if followed else f"This run departs from it in {len(departures)} parameter(s):"
    )
    return {
        "frozen": True,
        "followed": followed,
        "intact": intact,
        "sha256": expected_sha,
        "departures": departures,
        "statement": " ".join(parts),
    }


def plan_markdown(plan: dict) -> str:
    """``analysis-plan.md``: what was frozen, in words."""
    code, data = plan["code"], plan["data"]
    lines = [
        "# Analysis plan",
        "",
        f"Frozen with SHA-256 `{plan['sha256']}` (over the JSON file's content without this field; "
        "`params.yaml` `replication.plan_sha256` records it, and the replication report checks each run "
        "against it). The plan's date is that of the commit that adds it.",
        "",
        f"- Primary outcome: **{plan['primary_outcome']}** (the other outcomes are secondary).",
        f"- Code: commit {code['commit'] or 'not under git'}"
        + (" with uncommitted changes" if code["uncommitted_changes"] else "")
        + f", compendium {code['package_version']}.",
        f"- Outcome data when frozen: {data['post_rows']} post-wave survey row(s), "
        f"{data['post_rows_answered']} with an answer"
        + ("" if data["before_outcomes"] else " (**the outcome data were already present**)")
        + ".",
        "",
        "## Parameters",
        "",
        "| Parameter | Value |",
        "| :--- | :--- |",
    ]
    lines += [f"| `{k}` | {v!r} |" for k, v in sorted(_flatten(plan["parameters"]).items())]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- a team's study description

METADATA = {
    "title": "the study's title",
    "authors": "authors (name, affiliation)",
    "setting": "the setting (institutions, places)",
    "period": "the period of data collection (dates)",
}


def missing_metadata(dataset: dict) -> list[str]:
    """What the manuscript needs from ``dataset.yaml`` that it does not give (each
    printed as "[to be completed]" in the manuscript until it does)."""
    missing = [label for key, label in METADATA.items() if key != "authors" and not str(dataset.get(key) or "").strip()]
    authors = [a for a in dataset.get("authors") or [] if isinstance(a, dict) and str(a.get("name") or "").strip()]
    if not authors:
        missing.insert(1, METADATA["authors"])
    elif not all(str(a.get("affiliation") or "").strip() for a in authors):
        missing.insert(1, "an affiliation for every author")
    return missing


def dataset_yaml(values: dict, missing: list[str]) -> str:
    """A ``dataset.yaml`` holding ``values`` (title, authors, setting, period given on
    the command line) and, as comments, what is still to be completed."""
    import yaml

    head = [
        "# The study's description (docs/data-dictionary.md), written by `compendium replicate`.",
        "# Every key is optional; the manuscript prints '[to be completed]' or 'not reported' for what is absent.",
    ]
    if missing:
        head.append("# To be completed: " + "; ".join(missing) + ".")
    body = yaml.safe_dump(values, sort_keys=False, allow_unicode=True, width=1000) if values else ""
    return "\n".join(head) + "\n" + body


def settings_to_review(study, params: dict, arms_source: str) -> list[str]:
    """The few settings a team should look at before its first run, each with what the
    data hold: arm labels, primary outcome, outcome thresholds, covariates and stratum,
    the consensus coding (or its stand-in), sites, names to redact, joint-display links
    and the analysis plan. ``study`` is a validated :class:`~compendium.data.contract.Study`."""
    from compendium.data.contract import ParameterError, check_parameters

    outcomes, effects = params.get("outcomes") or {}, params.get("effects") or {}
    groups = study.flow.get("arms", {})
    counts = ", ".join(f"{arm} {c['consented']}" for arm, c in groups.items())
    lines = [
        f"arm labels: control = {study.arms.control!r}, intervention = {study.arms.intervention!r} "
        f"({arms_source}); consented learners: {counts}",
        f"primary outcome: {outcomes.get('primary')} (params.yaml outcomes.primary; freeze it with "
        "`compendium plan` before the outcome data are added)",
        f"outcome thresholds: cc_min_change {outcomes.get('cc_min_change')}, support_min_mean "
        f"{outcomes.get('support_min_mean')} (params.yaml outcomes)",
    ]
    raw_covariates = effects.get("covariates") or []
    if isinstance(raw_covariates, str):  # an old params.yaml with a comma-separated text
        raw_covariates = raw_covariates.split(",")
    covariates = [str(c).strip() for c in raw_covariates if str(c).strip()]
    try:
        check_parameters(study, covariates=covariates, stratum=str(effects.get("stratum") or ""))
        fit = "they fit the data"
    except ParameterError as exc:
        fit = str(exc).replace("\n", " ")
    lines.append(f"covariates: {', '.join(covariates) or 'none'}; stratum: {effects.get('stratum')} ({fit})")
    consensus = study.consensus
    if consensus == "file":
        lines.append("consensus coding: coding/consensus.csv")
    elif consensus.startswith("coder:"):
        lines.append(
            f"consensus coding: none; coder {consensus.split(':', 1)[1]!r} stands in (params.yaml "
            "qualitative.consensus_coder or consensus_coder in dataset.yaml)"
        )
    else:
        lines.append(
            f"consensus coding: none and no stand-in coder; a code counts as agreed by majority of the coders "
            f"({', '.join(study.coders) or 'none'}); name one in params.yaml qualitative.consensus_coder to change it"
        )
    site_count = study.participants["site"].nunique() if "site" in study.participants else 1
    lines.append(
        f"sites: {site_count}" + (" (per-site tables and pooling)" if site_count > 1 else " (nothing to pool)")
    )
    deid = study.dataset.get("deidentify") or {}
    lines.append(
        f"names and places always redacted: {len(deid.get('names') or [])} name(s), "
        f"{len(deid.get('places') or [])} place(s) (dataset.yaml deidentify)"
    )
    links = (study.dataset.get("integration") or {}).get("links") or []
    lines.append(f"joint display: {len(links)} code-outcome link(s) (dataset.yaml integration.links)")
    plan = (params.get("replication") or {}).get(PLAN_KEY)
    lines.append(f"analysis plan: {'frozen, sha256 ' + plan if plan else 'not frozen yet (`compendium plan`)'}")
    return lines


def set_plan_hash(params_text: str, sha: str) -> str:
    """``params.yaml`` text with ``replication.plan_sha256`` set to ``sha``, comments and
    layout kept; the section or key is added when absent."""
    lines = params_text.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(r"replication:(\s|$)", line)), None)
    if start is None:
        body = params_text.rstrip("\n")
        return f'{body}\n\nreplication:\n  {PLAN_KEY}: "{sha}"\n'
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines))
    for i in range(start + 1, end):
        m = re.match(rf"(\s+{PLAN_KEY}:\s*)(\"[^\"]*\"|'[^']*'|[^\s#]*)(.*)$", lines[i])
        if m:
            lines[i] = f'{m.group(1)}"{sha}"{m.group(3)}'
            return "\n".join(lines)
    last = max(i for i in range(start, end) if lines[i].strip()) if end > start + 1 else start
    lines.insert(last + 1, f'  {PLAN_KEY}: "{sha}"')
    return "\n".join(lines)
