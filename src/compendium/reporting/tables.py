"""Formatted (rounded) versions of the result tables, and their results.json keys.

Rounding happens here and only here; the CSV files keep every digit.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from compendium.core import paths
from compendium.core.config import Arms, default, level_label
from compendium.core.io import markdown_text, unsigned_zero, write_table, write_text
from compendium.quantitative.outcomes import OUTCOME_LABELS

VARIABLE_LABELS = {
    "n": "Learners analysed",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "site": "Site",
    "age": "Age, years",
    "previous_activism": "Previous activism",
    "baseline_cultural_competence": "Cultural competence before (scale mean)",
    "baseline_support": "Perceived support before (scale mean)",
    "baseline_participation": "Active participation before",
    "baseline_leadership": "Leadership role before",
}


# The confidence level a table states when its caller names none; every stage passes
# params.yaml's outcomes.ci_level, and every "95% CI" below follows it.
CI_LEVEL: float = default("outcomes.ci_level")

P_FLOOR = 0.001  # smaller p-values are shown as "<0.001" (results.json: format.p_floor)


def fmt_p(p: float) -> str:
    """p-value for display: '<0.001', otherwise three decimals."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return f"<{P_FLOOR}" if p < P_FLOOR else f"{p:.3f}"


def format_results() -> dict:
    """Display conventions that put numbers into the text (cited by the manuscript check)."""
    return {"format.p_floor": P_FLOOR}


def fmt_num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def _markdown(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    sep = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep[a] for a in align) + " |"]
    lines += ["| " + " | ".join(minus_signs(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _notes(*notes: str) -> str:
    kept = [n for n in notes if n]
    return ("\n" + "\n\n".join(kept) + "\n") if kept else ""


SUPPRESSED_CELL = "suppressed"


def _count_cell(n: float, percent: float, k: int) -> str:
    """A count with its percentage; a hidden count is marked, not bounded: the small-cell
    rule also hides a count of k or more (the complement of a single small one), so
    writing every hidden count as '<k' would misstate that one."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return SUPPRESSED_CELL
    return f"{int(n)} ({percent:.1f}%)"


def arm_heading(role: str, label: str) -> str:
    """A column heading for an arm: its role, and its label when the study names the
    arm otherwise ('Control: usual care')."""
    words = label.replace("_", " ")
    return role.title() if words.lower() == role else f"{role.title()}: {words}"


def table1_markdown(t1: pd.DataFrame, arms: Arms, note: str = "", min_cell: int = 5) -> str:
    n = t1[t1["variable"] == "n"].iloc[0]
    header = [
        "Characteristic",
        f"{arm_heading('control', arms.control)} (n = {int(n['control'])})",
        f"{arm_heading('intervention', arms.intervention)} (n = {int(n['intervention'])})",
        "p",
        "SMD",
    ]
    rows: list[list[str]] = []
    for variable, block in t1[t1["variable"] != "n"].groupby("variable", sort=False):
        label = VARIABLE_LABELS.get(variable, variable)
        p = block["p_value"].iloc[0]
        rows.append([f"**{label}**", "", "", fmt_p(p), ""])
        if "mean" in set(block["statistic"]):
            stats = block.set_index("statistic")
            mean, sd = stats.loc["mean"], stats.loc["sd"]
            decimals = 1 if variable == "age" else 2
            cells = [
                f"{mean[a]:.{decimals}f} ± {sd[a]:.{decimals}f}" if pd.notna(mean[a]) else ""
                for a in ("control", "intervention")
            ]
            rows.append(["  Mean ± SD", *cells, "", fmt_num(mean["smd"])])
            missing = block[block["level"] == "(missing)"]
            if not missing.empty:
                shown = [
                    f"<{min_cell}" if pd.isna(v) else str(int(v))
                    for v in (missing[a].iloc[0] for a in ("control", "intervention"))
                ]
                rows.append(["  (missing)", *shown, "", ""])
            continue
        for level, lv in block.groupby("level", sort=False):
            s = lv.set_index("statistic")
            cells = [_count_cell(s.at["n", a], s.at["percent", a], min_cell) for a in ("control", "intervention")]
            rows.append([f"  {level}", *cells, "", fmt_num(s.at["n", "smd"])])
    return (
        "# Table 1. Baseline characteristics by arm\n\n"
        + _markdown(header, rows, ["l", "r", "r", "r", "r"])
        + _notes(
            "Counts with percentages of each arm's analysed learners; age and scale means as mean ± SD. "
            "'Before': the pre-intervention survey wave, the baseline value of each outcome's measure "
            "(shown in full: survey answers, not demographics). "
            "p: Pearson's chi-square for categories, Welch's t-test for means, descriptive only. "
            "SMD: standardized mean difference, intervention minus control. "
            f"So that no learner can be singled out, every non-zero count below {min_cell} is hidden and, where an "
            "arm has a single such count in a characteristic, also that arm's next smallest count of it, which the "
            f"arm's total would otherwise give away: hidden counts are shown as {SUPPRESSED_CELL} (a missing count "
            f"as <{min_cell}), blank in the CSV and flagged in its `suppressed` column. The p-values describe the "
            "baseline balance; they test no hypothesis (CONSORT advises against reading them as tests).",
            note,
        )
    )


def count_cell(events, n, percent) -> str:
    """'e/n (p%)', or '0/0' when the arm has no analysed learner."""
    return f"{int(events)}/{int(n)} ({percent:.0f}%)" if n and pd.notna(percent) else f"{int(events)}/{int(n)}"


def estimate_cell(est, low, high, scale: float = 1.0, decimals: int = 2) -> str:
    """'estimate (low to high)' scaled, or 'not estimable' when the estimate is missing."""
    if est is None or pd.isna(est):
        return "not estimable"
    if pd.isna(low) or pd.isna(high):
        return f"{scale * est:.{decimals}f}"
    return f"{scale * est:.{decimals}f} ({scale * low:.{decimals}f} to {scale * high:.{decimals}f})"


def pct_cell(value) -> str:
    """A whole percentage, or 'n/a' when there is no one to count."""
    return "n/a" if value is None or pd.isna(value) else f"{value:.0f}%"


def nnt_cell(nnt, low, high, decimals: int = 1) -> str:
    """A number needed to treat with its interval in Altman's (1998) form: 'NNTB 3.2
    (2.4 to 4.8)'; 'NNTH 12.0 (...)' for harm; when the risk difference's interval
    crosses zero, 'NNTB 8.1 (NNTB 3.0 to ∞ to NNTH 20.3)'."""
    if nnt is None or pd.isna(nnt):
        return "not estimable"

    def one(x: float) -> str:
        return f"{'NNTB' if x > 0 else 'NNTH'} {abs(x):.{decimals}f}"

    if pd.isna(low) or pd.isna(high):
        return one(nnt)
    if low <= high:  # both limits on the same side: an ordinary interval
        return (
            f"{one(nnt)} ({abs(low if nnt > 0 else high):.{decimals}f} to {abs(high if nnt > 0 else low):.{decimals}f})"
        )
    return f"{one(nnt)} ({one(low)} to ∞ to {one(high)})"


TEST_NAMES = {"chi2": "χ²(1)", "fisher": "Fisher", "none": "not tested"}


def table2_markdown(t2: pd.DataFrame, arms: Arms, note: str = "", level: float = CI_LEVEL) -> str:
    ci = f"{level_label(level)} CI"
    header = [
        "Outcome",
        f"{arm_heading('control', arms.control)}, n/N (%)",
        f"{arm_heading('intervention', arms.intervention)}, n/N (%)",
        "Test",
        "Statistic",
        "p",
        "p (Holm)",
        f"Risk difference ({ci})",
        f"Odds ratio ({ci})",
        f"Risk ratio ({ci})",
        f"NNT ({ci})",
    ]
    rows = []
    for r in t2.itertuples(index=False):
        rows.append(
            [
                OUTCOME_LABELS.get(r.outcome, r.outcome),
                count_cell(r.control_events, r.control_n, r.control_percent),
                count_cell(r.intervention_events, r.intervention_n, r.intervention_percent),
                TEST_NAMES.get(r.test, r.test),
                fmt_num(r.statistic),
                fmt_p(r.p_value),
                fmt_p(r.p_holm),
                estimate_cell(r.risk_difference, r.rd_ci_low, r.rd_ci_high, 100, 1),
                estimate_cell(r.odds_ratio, r.or_ci_low, r.or_ci_high),
                estimate_cell(r.risk_ratio, r.rr_ci_low, r.rr_ci_high),
                nnt_cell(r.nnt, r.nnt_ci_low, r.nnt_ci_high),
            ]
        )
    return (
        "# Table 2. Post-intervention outcomes by arm\n\n"
        + _markdown(header, rows, ["l", "r", "r", "l", "r", "r", "r", "r", "r", "r", "r"])
        + _notes(
            "Test: Pearson's chi-square without continuity correction when every expected count is at "
            "least the threshold in params.yaml, otherwise Fisher's exact test (two-sided). "
            "p (Holm): adjusted for the four outcomes. Risk difference in percentage points, intervention "
            "minus control, with Newcombe's hybrid score interval; odds ratio of intervention against "
            "control with Woolf's interval; risk ratio of intervention against control with the log (Katz) "
            "interval (0.5 added to every cell when an arm has no event, and to every cell of the odds ratio's "
            "table when a cell is zero). NNT: number of learners to offer the intervention for one more to have "
            "the outcome (NNTB, benefit) or one fewer (NNTH, harm), 1 / risk difference, with the reciprocals of "
            "the Newcombe limits; when that interval includes no difference, the NNT's interval runs from NNTB through "
            "infinity to NNTH (Altman 1998).",
            note,
        )
    )


def sensitivity_markdown(t: pd.DataFrame, note: str = "", level: float = CI_LEVEL) -> str:
    t = t.assign(
        best=[
            estimate_cell(e, lo, hi, 100, 1)
            for e, lo, hi in zip(t["best_risk_difference"], t["best_rd_ci_low"], t["best_rd_ci_high"])
        ],
        worst=[
            estimate_cell(e, lo, hi, 100, 1)
            for e, lo, hi in zip(t["worst_risk_difference"], t["worst_rd_ci_low"], t["worst_rd_ci_high"])
        ],
    )
    return frame_markdown(
        "Missing outcomes: best- and worst-case sensitivity analysis",
        t,
        {
            "outcome": ("Outcome", "label"),
            "control_missing": ("Missing, control", "d"),
            "intervention_missing": ("Missing, intervention", "d"),
            "best": (f"Best case: risk difference ({level_label(level)} CI)", "text"),
            "best_p_value": ("p", "p"),
            "worst": (f"Worst case: risk difference ({level_label(level)} CI)", "text"),
            "worst_p_value": ("p", "p"),
        },
        "Analysis population: every allocated learner who did not withdraw consent (withdrawn learners' data are "
        "removed: a modified intention-to-treat). Table 2 analyses complete cases, outcome by outcome. Here every "
        "missing outcome is imputed: best case (for the intervention), missing intervention learners have the "
        "outcome and missing control learners do not; worst case, the reverse. Risk differences in percentage "
        "points, intervention minus control, Newcombe's interval; test as in Table 2.",
        note,
    )


def table1_results(t1: pd.DataFrame) -> dict:
    out = {}
    for r in t1.itertuples(index=False):
        parts = ["table1", r.variable] + ([r.level] if r.level else []) + [r.statistic]
        key = ".".join(str(p).replace(" ", "_") for p in parts)
        as_count = int if r.statistic == "n" else float
        for role in ("control", "intervention"):
            value = getattr(r, role)
            out[f"{key}.{role}"] = None if pd.isna(value) else as_count(value)
        if r.variable != "n":
            out[f"table1.{r.variable}.p_value"] = r.p_value
            out[f"{key}.smd"] = None if pd.isna(r.smd) else float(r.smd)
    return out


def table2_results(t2: pd.DataFrame) -> dict:
    out = frame_results("table2", t2, ["outcome"])
    for r in t2.itertuples(index=False):  # what an APA report of the test also needs
        out[f"table2.{r.outcome}.n_total"] = int(r.control_n + r.intervention_n)
        out[f"table2.{r.outcome}.dof"] = 1 if r.test == "chi2" else None
    return out


def dataset_results(dataset: dict) -> dict:
    """The synthetic generator's arguments, which the synthetic-data notes cite."""
    return {f"dataset.{k}": v for k, v in dataset.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def params_results(**params) -> dict:
    """Parameters the manuscript cites (thresholds, confidence level), as ``params.<name>``."""
    return {f"params.{k}": v for k, v in params.items()}


def flow_results(flow: dict, arms: Arms) -> dict:
    """Participant-flow counts as results.json keys, by role whatever the arm labels:
    ``flow.control.enrolled``, ``flow.intervention.withdrew``, ``flow.sources.*``."""
    out = {}
    for role, label in (("control", arms.control), ("intervention", arms.intervention)):
        out[f"flow.{role}.label"] = label
        out.update({f"flow.{role}.{key}": value for key, value in flow["arms"][label].items()})
    out.update({f"flow.sources.{key}": value for key, value in flow["sources"].items()})
    return out


def frame_results(prefix: str, frame: pd.DataFrame, keys: list[str]) -> dict:
    """results.json entries for a table: ``<prefix>.<key values>.<column>``."""
    out = {}
    for r in frame.to_dict(orient="records"):
        stem = ".".join([prefix, *(str(r[k]).replace(" ", "_") for k in keys)])
        for col, value in r.items():
            if col not in keys:
                out[f"{stem}.{col}"] = None if (not isinstance(value, str) and pd.isna(value)) else value
    return out


def frame_markdown(title: str, frame: pd.DataFrame, columns: dict[str, tuple[str, str]], *notes: str) -> str:
    """A formatted table: ``columns`` maps a column to (header, format), where format is
    a format spec (``.2f``), ``p`` for a p-value, ``label`` for an outcome name or
    ``text``."""
    header = [h for h, _ in columns.values()]
    rows = []
    for r in frame.to_dict(orient="records"):
        cells = []
        for col, (_, fmt) in columns.items():
            value = r[col]
            if fmt == "p":
                cells.append(fmt_p(value))
            elif fmt == "label":
                cells.append(OUTCOME_LABELS.get(value, str(value)))
            elif fmt == "text" or isinstance(value, str):
                cells.append("" if value is None else str(value))
            elif value is None or pd.isna(value):
                cells.append("")
            elif fmt == "d":  # a count column holds floats once one of its values is missing
                cells.append(format(int(round(float(value))), "d"))
            else:
                cells.append(format(value, fmt))
        rows.append(cells)
    align = ["l" if fmt in ("text", "label") else "r" for _, fmt in columns.values()]
    return f"# {title}\n\n" + _markdown(header, rows, align) + _notes(*notes)


def adjusted_markdown(t: pd.DataFrame, note: str = "", stratum: str = "", level: float = CI_LEVEL) -> str:
    strata = f"the strata of {stratum.replace('_', ' ')}" if stratum else "the strata in params.yaml (effects.stratum)"
    return frame_markdown(
        "Odds ratios: unadjusted, adjusted and stratified",
        t,
        {
            "outcome": ("Outcome", "label"),
            "odds_ratio": ("OR", ".2f"),
            "or_ci_low": ("low", ".2f"),
            "or_ci_high": ("high", ".2f"),
            "n_adjusted": ("n (adj.)", "d"),
            **({"baseline": ("Baseline", "text")} if "baseline" in t else {}),
            "adjusted_or": ("Adjusted OR", ".2f"),
            "adjusted_ci_low": ("low", ".2f"),
            "adjusted_ci_high": ("high", ".2f"),
            "adjusted_p": ("p", "p"),
            "mh_or": ("MH OR", ".2f"),
            "mh_ci_low": ("low", ".2f"),
            "mh_ci_high": ("high", ".2f"),
            "breslow_day_p": ("Breslow-Day p", "p"),
            "note": ("Note", "text"),
        },
        f"Odds ratios of intervention against control with {level_label(level)} CIs. Adjusted: logistic "
        "regression on arm plus "
        f"the covariates fixed in params.yaml before the analysis ({t['covariates'].iloc[0].replace('+', ', ')})"
        + (
            ", and the outcome's own pre-intervention value (Baseline)"
            if "baseline" in t and t["baseline"].astype(bool).any()
            else ""
        )
        + ", complete cases. "
        f"MH: Mantel-Haenszel odds ratio across {strata}, on the raw counts (0.5 is added to every cell only "
        "where the estimator is undefined, as the Note says); Breslow-Day tests whether the odds "
        "ratio differs between strata.",
        note,
    )


ANCOVA_LABELS = {"cultural_competence": "Cultural competence (scale mean)", "support": "Perceived support (scale mean)"}


def ancova_markdown(t: pd.DataFrame, arms: Arms, level: float = CI_LEVEL, note: str = "") -> str:
    t = t.assign(
        label=[ANCOVA_LABELS.get(x, x) for x in t["scale"]],
        control=[_pre_post(a, b) for a, b in zip(t["control_pre_mean"], t["control_post_mean"])],
        intervention=[_pre_post(a, b) for a, b in zip(t["intervention_pre_mean"], t["intervention_post_mean"])],
        adjusted=[estimate_cell(e, lo, hi) for e, lo, hi in zip(t["mean_difference"], t["ci_low"], t["ci_high"])],
        test=[f"t({int(d)}) = {x:.2f}" if pd.notna(x) else "" for x, d in zip(t["statistic"], t["dof"])],
    )
    return frame_markdown(
        "ANCOVA of the continuous scales",
        t,
        {
            "label": ("Scale", "text"),
            "n": ("n", "d"),
            "control": (f"{arm_heading('control', arms.control)}: before → after", "text"),
            "intervention": (f"{arm_heading('intervention', arms.intervention)}: before → after", "text"),
            "post_difference": ("Difference after, unadjusted", ".2f"),
            "adjusted": (f"Difference adjusted for before ({level_label(level)} CI)", "text"),
            "test": ("t", "text"),
            "p_value": ("p", "p"),
            "note": ("Note", "text"),
        },
        "Analysis of covariance: each learner's post-intervention scale mean regressed on the arm and the "
        "pre-intervention scale mean by ordinary least squares, complete cases (Vickers and Altman 2001). "
        "The adjusted difference is intervention minus control, in scale points, with its t-based interval. "
        "A sensitivity analysis beside the binary outcomes of Table 2, which cut these scales at thresholds.",
        note,
    )


def clustered_markdown(t: pd.DataFrame, level: float = CI_LEVEL, note: str = "") -> str:
    t = t.assign(estimate=[estimate_cell(e, lo, hi) for e, lo, hi in zip(t["odds_ratio"], t["ci_low"], t["ci_high"])])
    return frame_markdown(
        "Outcomes by arm, accounting for sites",
        t,
        {
            "outcome": ("Outcome", "label"),
            "sites": ("Sites", "d"),
            "n": ("n", "d"),
            "estimate": (f"Odds ratio ({level_label(level)} CI)", "text"),
            "p_value": ("p", "p"),
            "within_site_correlation": ("Within-site correlation", ".3f"),
            "note": ("Note", "text"),
        },
        "Logistic GEE of each outcome on the arm with an exchangeable working correlation within site and the "
        "Mancl-DeRouen bias-reduced robust covariance; interval and p from the t distribution with sites - 1 "
        "degrees of freedom (few clusters); odds ratio of intervention against control. "
        "Beside the per-site tables and the random-effects pooling; with one site there is nothing to account for.",
        note,
    )


def _pre_post(pre, post) -> str:
    return "" if pd.isna(pre) or pd.isna(post) else f"{pre:.2f} → {post:.2f}"


def correlations_markdown(t: pd.DataFrame, note: str = "", level: float = CI_LEVEL) -> str:
    return frame_markdown(
        "Correlations",
        t,
        {
            "x": ("Variable", "text"),
            "y": ("With", "label"),
            "method": ("Coefficient", "text"),
            "n": ("n", "d"),
            "r": ("r", ".3f"),
            "ci_low": ("low", ".3f"),
            "ci_high": ("high", ".3f"),
            "p_value": ("p", "p"),
            "p_holm": ("p (Holm)", "p"),
        },
        "Spearman's rho for the change in cultural competence against the post-intervention support score; "
        "phi for previous activism against each outcome; point-biserial r for age against each outcome. "
        f"{level_label(level)} CIs by Fisher's z; p-values Holm-adjusted over all rows.",
        note,
    )


def stratum_markdown(t: pd.DataFrame, note: str = "") -> str:
    t = t.assign(
        control=[
            f"{e}/{n} ({p:.0f}%)" if n else ""
            for e, n, p in zip(t["control_events"], t["control_n"], t["control_percent"])
        ],
        intervention=[
            f"{e}/{n} ({p:.0f}%)" if n else ""
            for e, n, p in zip(t["intervention_events"], t["intervention_n"], t["intervention_percent"])
        ],
    )
    return frame_markdown(
        "Outcomes by previous activism",
        t,
        {
            "outcome": ("Outcome", "label"),
            "level": ("Previous activism", "text"),
            "control": ("Control, n/N (%)", "text"),
            "intervention": ("Intervention, n/N (%)", "text"),
        },
        note,
    )


def power_markdown(t: pd.DataFrame, alpha: float, note: str = "") -> str:
    alpha_holm = t["alpha_holm"].dropna()
    level = f"{alpha_holm.iloc[0]:.4g}" if len(alpha_holm) else "alpha / m"
    difference = t["min_difference"].dropna()
    d = f"{difference.iloc[0]:g}" if len(difference) else "the smallest effect of interest"
    return frame_markdown(
        "Replication planning",
        t,
        {
            "outcome": ("Outcome", "label"),
            "control_percent": ("Control %", ".1f"),
            "target_percent": ("Intervention % to detect", ".1f"),
            "n_per_arm_80": ("Per arm, 80% power", "d"),
            "n_per_arm_90": ("Per arm, 90% power", "d"),
            "n_per_arm_analysed": ("Per arm here", "d"),
            "power_here": ("Power here", ".2f"),
        },
        f"Learners per arm (equal arms) to detect the smallest effect of interest, {d} percentage points from this "
        "study's control percentage (params.yaml: effects.power_min_difference; not the observed effect), with the "
        "test the analysis uses (Pearson's chi-square, or Fisher's exact test where an expected count is small), "
        f"two-sided at alpha = {alpha} divided by the number of outcomes ({level}), the first threshold of Holm's "
        "procedure. Power is exact: every possible table enumerated with its binomial probability. Power here: "
        "that of this study's smaller arm for the same effect.",
        note,
    )


def reliability_markdown(t: pd.DataFrame, note: str = "", level: float = CI_LEVEL) -> str:
    return frame_markdown(
        "Scale reliability",
        t,
        {
            "scale": ("Scale", "text"),
            "wave": ("Wave", "text"),
            "items": ("Items", "d"),
            "n": ("n", "d"),
            "alpha": ("Cronbach's alpha", ".3f"),
            "ci_low": ("low", ".3f"),
            "ci_high": ("high", ".3f"),
        },
        f"Complete cases; {level_label(level)} CI by Feldt's method.",
        note,
    )


def items_markdown(t: pd.DataFrame, note: str = "") -> str:
    return frame_markdown(
        "Item statistics",
        t,
        {
            "scale": ("Scale", "text"),
            "wave": ("Wave", "text"),
            "item": ("Item", "text"),
            "n": ("n", "d"),
            "mean": ("Mean", ".2f"),
            "sd": ("SD", ".2f"),
            "missing": ("Missing", "d"),
        },
        note,
    )


def by_site_markdown(t: pd.DataFrame, note: str = "", level: float = CI_LEVEL) -> str:
    t = t.assign(
        control=[count_cell(e, n, p) for e, n, p in zip(t["control_events"], t["control_n"], t["control_percent"])],
        intervention=[
            count_cell(e, n, p)
            for e, n, p in zip(t["intervention_events"], t["intervention_n"], t["intervention_percent"])
        ],
        rd=[estimate_cell(a, b, c, 100, 1) for a, b, c in zip(t["risk_difference"], t["rd_ci_low"], t["rd_ci_high"])],
        test=[TEST_NAMES.get(v, v) for v in t["test"]],
    )
    return frame_markdown(
        "Table 2 by site",
        t,
        {
            "site": ("Site", "text"),
            "outcome": ("Outcome", "label"),
            "control": ("Control", "text"),
            "intervention": ("Intervention", "text"),
            "test": ("Test", "text"),
            "p_value": ("p", "p"),
            "rd": (f"Risk difference ({level_label(level)} CI)", "text"),
        },
        note,
    )


def meta_markdown(t: pd.DataFrame, note: str = "", level: float = CI_LEVEL) -> str:
    return frame_markdown(
        "Random-effects pooling across sites",
        t,
        {
            "outcome": ("Outcome", "label"),
            "measure": ("Measure", "text"),
            "sites": ("Sites", "d"),
            "estimate": ("Estimate", ".3f"),
            "ci_low": ("low", ".3f"),
            "ci_high": ("high", ".3f"),
            "p_value": ("p", "p"),
            "tau2": ("tau²", ".4f"),
            "i2": ("I² %", ".1f"),
            "q_p_value": ("Q p", "p"),
            "note": ("Note", "text"),  # why a row is blank or pools fewer sites than the study has
        },
        "DerSimonian-Laird random effects. Risk differences as proportions (intervention minus control); "
        f"odds ratios of intervention against control; low and high: {level_label(level)} CI.",
        note,
    )


def deidentification_markdown(
    summary: pd.DataFrame, scores: dict, note: str = "", heldout: dict | None = None, review: dict | None = None
) -> str:
    """De-identification: replacements per kind, token recall and precision on the
    project's held-out benchmark and (synthetic data) against the generator's planted
    identifiers, and the review file's counts. Counts only: nothing identifying."""
    text = frame_markdown(
        "De-identification",
        summary,
        {
            "kind": ("Kind of identifier", "text"),
            "replacements": ("Replacements", "d"),
            "distinct": ("Distinct originals", "d"),
        },
        "Each identifier was replaced by a bracketed pseudonym before any analysis; the log that maps "
        "originals to pseudonyms stays in the git-ignored data/private/.",
    )

    def pct(x: float) -> str:
        return "n/a" if x != x else f"{100 * x:.1f}%"

    if heldout:
        text += (
            f"\nOn the project's held-out benchmark ({heldout['sentences']} hand-annotated sentences in the "
            f"register of learners' interviews and documents, shipped with the package; no name or place in "
            f"it is in a word list the detector uses, except, on purpose, a few English words that are also given "
            f"names or that end a place's name, such as Ridge or Creek): token recall {pct(heldout['recall'])} "
            f"({heldout['missed']} of {heldout['identifying_tokens']} identifying tokens missed), token "
            f"precision {pct(heldout['precision'])} ({heldout['false_positives']} ordinary tokens "
            f"redacted). {heldout.get('history', '')}".rstrip()
            + "\n"
        )
    if scores:
        text += (
            f"\nAgainst the {scores['planted']} identifiers the generator planted (dataset.yaml truth_file): "
            f"recall {pct(scores['recall'])} ({scores['missed']} missed); precision {pct(scores['precision'])} "
            f"({scores['false_positives']} of {scores['replacements']} replacements hit ordinary words)."
        )
        if "token_recall" in scores:
            text += (
                f" By token: recall {pct(scores['token_recall'])} ({scores['token_missed']} of "
                f"{scores['token_identifying_tokens']} missed), precision {pct(scores['token_precision'])} "
                f"({scores['token_false_positives']} ordinary tokens redacted)."
            )
        text += "\n"
    if review:
        text += (
            f"\nReview of ambiguous words (a name that is also an ordinary word): {review['candidates']} "
            f"candidate(s) in data/private/deidentify_review.csv, {review['kept']} kept and "
            f"{review['redacted']} redacted by the team's decision, {review['undecided']} undecided "
            "(redacted until decided).\n"
        )
    return text + _notes(note)


def irr_markdown(
    irr: pd.DataFrame,
    coders: list[str],
    threshold: float,
    note: str = "",
    *,
    replicates: int = 1000,
    level: float = CI_LEVEL,
) -> str:
    ci = f"{level_label(level)} CI"
    if len(coders) < 2:
        who = f"one coder ({coders[0]})" if coders else "no coder"
        return (
            "# Inter-rater reliability\n\n"
            f"The sources were coded by {who}, so agreement between coders cannot be measured; irr.csv "
            "lists the codes with blank agreement columns.\n" + _notes(note)
        )

    def flag(r) -> str:
        if not r["flagged"]:
            return ""
        if not r["cohen_kappa"] >= threshold:
            return "below threshold" if pd.notna(r["cohen_kappa"]) else "undefined"
        return "interval reaches below"

    t = irr.assign(
        flag=[flag(r) for r in irr.to_dict(orient="records")],
        kappa_ci=[_interval(lo, hi, 2) for lo, hi in zip(irr["kappa_ci_low"], irr["kappa_ci_high"])],
        alpha_ci=[_interval(lo, hi, 2) for lo, hi in zip(irr["alpha_ci_low"], irr["alpha_ci_high"])],
    )
    return frame_markdown(
        "Inter-rater reliability",
        t,
        {
            "code": ("Code", "text"),
            "theme": ("Theme", "text"),
            "units": ("Units", "d"),
            "sources": ("Sources", "d"),
            "percent_agreement": ("Agreement %", ".1f"),
            "cohen_kappa": ("Cohen's kappa", ".2f"),
            "kappa_ci": (ci, "text"),
            "krippendorff_alpha": ("Krippendorff's alpha", ".2f"),
            "alpha_ci": (ci, "text"),
            "positive_agreement": ("Positive agreement", ".2f"),
            "negative_agreement": ("Negative agreement", ".2f"),
            "coder_1_count": (coders[0], "d"),
            "coder_2_count": (coders[1], "d"),
            "flag": ("Flag", "text"),
        },
        f"Coders {coders[0]} and {coders[1]}, over the units of the sources both coded; each code judged present "
        "or absent on each unit. ALL pools every unit-and-code decision. Krippendorff's alpha is nominal. "
        f"Intervals: percentile bootstrap of {replicates} replicates resampling whole sources (the unit of "
        "sampling; units of one source are not independent), seeded (params.yaml: agreement.bootstrap_seed). "
        "Positive (negative) agreement: of the times a coder marked the code present (absent), the share the "
        "other coder agreed, 2a / (2a + b + c) (Cicchetti and Feinstein 1990); with rare codes kappa and "
        "percent agreement rest mostly on agreed absence. A kappa that is undefined (a code neither coder used) "
        f"is left blank. Flag: kappa undefined, below {threshold} (params.yaml: agreement.kappa_threshold), or "
        "with the lower limit of its interval below it (interval reaches below).",
        note,
    )


def _interval(low, high, decimals: int = 2) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{low:.{decimals}f} to {high:.{decimals}f}"


def pairwise_markdown(pairwise: pd.DataFrame, note: str = "") -> str:
    return frame_markdown(
        "Pairwise Cohen's kappa",
        pairwise,
        {
            "coder_1": ("Coder", "text"),
            "coder_2": ("Coder", "text"),
            "code": ("Code", "text"),
            "units": ("Units", "d"),
            "percent_agreement": ("Agreement %", ".1f"),
            "cohen_kappa": ("Cohen's kappa", ".3f"),
        },
        note,
    )


def multi_markdown(multi: pd.DataFrame | None, note: str = "") -> str:
    if multi is None:
        return "# Agreement among more than two coders\n\nThis study has two coders: see irr.md.\n" + _notes(note)
    return frame_markdown(
        "Agreement among more than two coders",
        multi,
        {
            "code": ("Code", "text"),
            "coders": ("Coders", "d"),
            "units_all_coders": ("Units coded by all", "d"),
            "fleiss_kappa": ("Fleiss' kappa", ".3f"),
            "krippendorff_alpha_all": ("Krippendorff's alpha, all coders", ".3f"),
        },
        "Fleiss' kappa over the units every coder coded; Krippendorff's alpha over all units, a coder who did "
        "not code a source counting as missing there.",
        note,
    )


def frequencies_markdown(freq: pd.DataFrame, note: str = "") -> str:
    wide = freq[freq["by"] != "all"].pivot_table(
        index=["level", "id", "label"], columns=["by", "group"], values="units", aggfunc="sum", fill_value=0, sort=False
    )
    overall = freq[freq["by"] == "all"].set_index(["level", "id", "label"])[["units", "sources", "participants"]]
    rows = []
    groups = list(wide.columns)
    for (level, ident, label), r in overall.iterrows():
        name = f"**{markdown_text(label)}**" if level == "theme" else f"  {markdown_text(label)}"
        cells = [
            str(int(wide.loc[(level, ident, label), g])) if (level, ident, label) in wide.index else "0" for g in groups
        ]
        rows.append([name, str(int(r["units"])), str(int(r["sources"])), str(int(r["participants"])), *cells])
    header = ["Theme / code", "Units", "Sources", "Learners", *[f"{g[1]} (units)" for g in groups]]
    return (
        "# Theme and code frequencies\n\n"
        + _markdown(header, rows, ["l"] + ["r"] * (len(header) - 1))
        + _notes(
            "Consensus coding of the de-identified units. Learners: distinct learners who spoke or "
            "wrote a unit with the code. By source type and by arm (the arm of the unit's learners; "
            "'none' for facilitators' turns and documents without learner authors).",
            note,
        )
    )


def cooccurrence_markdown(co: pd.DataFrame, note: str = "") -> str:
    off = co[co["code_1"] != co["code_2"]].sort_values(
        ["units", "sources", "code_1", "code_2"], ascending=[False, False, True, True], kind="stable"
    )
    return frame_markdown(
        "Code co-occurrence",
        off,
        {
            "code_1": ("Code", "text"),
            "code_2": ("With", "text"),
            "units": ("Units with both", "d"),
            "sources": ("Sources with both", "d"),
        },
        "Pairs of different codes, most frequent first; the CSV also gives each code's own counts (the diagonal).",
        note,
    )


#: What the published quotes table keeps: descriptors, never an identifier (no learner
#: id, source id or unit number that would link a quote to a survey row or a transcript).
PUBLIC_QUOTE_COLUMNS = ("code", "rank", "source_type", "arm", "site", "quote")


def public_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """The exemplar quotes as published: :data:`PUBLIC_QUOTE_COLUMNS` only."""
    return quotes[[c for c in PUBLIC_QUOTE_COLUMNS if c in quotes.columns]].reset_index(drop=True)


def quotes_markdown(quotes: pd.DataFrame, codebook: pd.DataFrame, note: str = "") -> str:
    labels = dict(zip(codebook["code"], codebook["code_label"]))
    lines = ["# Exemplar quotes", ""]
    for code, block in quotes.groupby("code", sort=False):
        lines.append(f"## {markdown_text(labels.get(code, code))}")
        lines.append("")
        for r in block.itertuples(index=False):
            lines.append(f"> {r.quote}")
            lines.append(">")
            site = getattr(r, "site", "")
            where = f", site {site}" if isinstance(site, str) and site and site not in ("none", "mixed") else ""
            lines.append(f"> — {r.source_type.replace('_', ' ')}, {str(r.arm).replace('_', ' ')} arm{where}")
            lines.append("")
    lines.append(
        "Quotes are de-identified. Rule: learner units carrying the fewest other codes, then the fewest "
        "redactions, then the length nearest 160 characters, then source and unit order; one quote per source. "
        "Each quote is tagged with descriptors (source type, arm, site), never with an identifier."
    )
    return "\n".join(lines) + "\n" + _notes(note)


def joint_markdown(joint: pd.DataFrame, note: str = "") -> str:
    if joint.empty:
        return (
            "# Joint display: themes beside the survey outcomes\n\nNo code is linked to a survey outcome for "
            "this study, so there is no joint display. Which code speaks to which outcome is a judgement about "
            "the study: list the links under integration.links in data/raw/dataset.yaml "
            "(docs/data-dictionary.md).\n" + _notes(note)
        )
    lines = [
        "# Joint display: themes beside the survey outcomes",
        "",
        "| Code | Outcome | Raised it: control / intervention | Outcome: control / intervention | "
        "Learners in both | Agreement | Kappa | Judgement | Exemplar quote |",
        "| :--- | :--- | ---: | ---: | ---: | ---: | ---: | :--- | :--- |",
    ]
    for r in joint.itertuples(index=False):
        quote = f'"{r.quote}" (source {r.quote_source}, unit {r.quote_unit})' if r.quote else ""
        lines.append(
            f"| {r.code.replace('_', ' ')} | {OUTCOME_LABELS.get(r.outcome, r.outcome)} | "
            f"{pct_cell(r.talk_control_percent)} / {pct_cell(r.talk_intervention_percent)} | "
            f"{pct_cell(r.outcome_control_percent)} / {pct_cell(r.outcome_intervention_percent)} | "
            f"{r.learners_both} | {pct_cell(r.agreement_percent)} | {fmt_num(r.kappa)} | {r.judgement} | {quote} |"
        )
    return (
        "\n".join(lines)
        + "\n"
        + _notes(
            "Raised it: share of the learners who spoke or wrote in the qualitative sources whose units carry the "
            "code. Agreement: among learners in both data sets, the share whose talk and survey report agree "
            "('inverse' "
            "pairs: raising the need goes with the outcome being absent). Kappa: Cohen's kappa, the same agreement "
            "corrected for chance; the judgement follows it (params.yaml: integration.convergent_kappa, "
            "dissonant_kappa, min_learners).",
            note,
        )
    )


def edges_markdown(edges: pd.DataFrame, alpha: float = 0.05, note: str = "") -> str:
    shown = edges[edges["linked"].astype(bool)] if len(edges) else edges
    rule = (
        f"Pairs of codes applied to the same unit more often than chance: one-sided hypergeometric (Fisher's "
        f"exact) test of shared units against independence, Holm-adjusted over all {len(edges)} pairs, "
        f"p < {alpha:g} and lift (observed / expected shared units) above 1. {len(shown)} of {len(edges)} "
        "pairs meet the rule; the CSV lists every pair."
    )
    return frame_markdown(
        "Conceptual framework: codes linked more often than chance",
        shown,
        {
            "code_1": ("Code", "text"),
            "code_2": ("Code", "text"),
            "units_both": ("Units with both", "d"),
            "expected": ("Expected", ".1f"),
            "lift": ("Lift", ".2f"),
            "p_holm": ("p (Holm)", "p"),
        },
        rule,
        note,
    )


def flow_markdown(flow: pd.DataFrame, note: str = "") -> str:
    columns = {
        "arm": ("Arm", "text"),
        "allocated": ("Allocated", "d"),
        "withdrew": ("Withdrew consent", "d"),
        "no_post_wave": ("No post-intervention survey", "d"),
        "followed_up": ("Followed up", "d"),
    }
    columns |= {
        c: (f"Analysed: {OUTCOME_LABELS.get(c[9:], c[9:]).lower()}", "d")
        for c in flow.columns
        if c.startswith("analysed_")
    }
    return frame_markdown("Participant flow", flow, columns, note)


def study_results(study, people: pd.DataFrame) -> dict:
    """Counts the manuscript cites about the study as a whole."""
    types = study.sources["type"].value_counts()
    spoken = {p for ps in people["learners"] for p in ps}
    return {
        "study.sources.interview": int(types.get("interview", 0)),
        "study.sources.focus_group": int(types.get("focus_group", 0)),
        "study.sources.document": int(types.get("document", 0)),
        "study.sources.total": int(len(study.sources)),
        "study.units": int(len(study.units)),
        "study.coders": len(study.coders),
        "study.codes": int(study.codebook["code"].nunique()),
        "study.themes": int(study.codebook["theme"].nunique()),
        "study.learners_in_sources": len(spoken),
        "study.learners_analysed": int(len(study.participants)),
        "study.cc_items": len(study.cc_items),
        "study.support_items": len(study.support_items),
    }


# ----------------------------------------------------------------- several sites

SITE_TABLES = ("table2_by_site", "meta_analysis")
SITE_FIGURES = "forest_sites_*"


def write_site_outputs(by_site: pd.DataFrame | None, pooled: pd.DataFrame | None, summary: str) -> None:
    """Write ``reports/tables/sites.md`` and, with more than one site, the per-site and
    pooled tables. With one site the per-site files (and forest plots) of an earlier
    multi-site run are removed, so nothing stale suggests a pooling that was not done.

    The per-site files are not DVC outputs (DVC cannot declare optional outputs);
    git tracks them with the rest of ``reports/``.
    """
    write_text(paths.tables_dir() / "sites.md", summary)
    if by_site is None or pooled is None:
        for stem in SITE_TABLES:
            for ext in ("csv", "md"):
                (paths.tables_dir() / f"{stem}.{ext}").unlink(missing_ok=True)
        for figure in paths.figures_dir().glob(SITE_FIGURES):
            figure.unlink()
        return
    write_table(by_site, "table2_by_site", by_site_markdown(by_site))
    write_table(pooled, "meta_analysis", meta_markdown(pooled))


# --------------------------------------------------------------------------- tables as printed

# Advance widths, in ems, of a serif text face (Libertinus, Times-like), by character
# class: an estimate good to about 10% per word, used both to choose column widths and
# (compendium.checks.typesetting) to check that no word is wider than its DOCX column.
_NARROW = set("fijlrtI.,;:'!|()[]’`\"")
_WIDE = set("mwMW%@")
_CAPS_NARROW = set("JS")
# text width over the table font size: the PDF's 170 mm at 7.5 pt (64 em); the DOCX sets a
# table on a landscape page when its longest words at 9 pt do not fit its 170 mm
TABLE_WIDTH_EM = 64.0
# a table that cannot give its label columns half the width they ask for on the portrait
# page is set on a landscape page (A4 flipped: 297 mm less the same margins: 257 mm)
LANDSCAPE_WIDTH_EM = TABLE_WIDTH_EM * 257 / 170
LABEL_SHARE = 0.4
CELL_PAD_EM = 1.1  # left and right cell padding together, in ems (DOCX 2 x 57 twips at 9 pt; Typst 2 x 4 pt at 7.5 pt)


def text_em(text: str, bold: bool = False) -> float:
    """The estimated printed width of ``text`` in ems of a serif face (bold 7% wider)."""
    width = 0.0
    for ch in text:
        if ch == WORD_JOINER:
            continue
        if ch == " ":
            width += 0.25
        elif ch in _NARROW:
            width += 0.3
        elif ch in _WIDE:
            width += 0.85
        elif ch.isupper():
            width += 0.62 if ch in _CAPS_NARROW else 0.72
        elif ch in "sc":
            width += 0.42
        else:
            width += 0.52
    return width * (1.07 if bold else 1.0)


_SPAN = re.compile(r"\[((?:\\.|[^\]\\])*)\]\{[^}]*\}")


def plain_cell(cell: str) -> str:
    """The text of a Markdown table cell as a reader sees it (spans, emphasis and
    escapes removed)."""
    text = _SPAN.sub(lambda m: m.group(1), cell)
    text = re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("`", ""))
    return re.sub(r"(?<!\w)\*|\*(?!\w)", "", text).strip()


def split_row(line: str) -> list[str]:
    """The cells of one pipe-table line (escaped bars stay in their cell)."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def parse_pipe_table(lines: list[str]) -> tuple[list[str], list[str], list[list[str]]]:
    """Header, alignments ('l', 'r', 'c') and rows of a Markdown pipe table."""
    header = split_row(lines[0])
    align = []
    for spec in split_row(lines[1]):
        left, right = spec.startswith(":"), spec.endswith(":")
        align.append("c" if left and right else "r" if right else "l")
    rows = [split_row(line) for line in lines[2:]]
    return header, align, rows


def _least_natural(header: list[str], rows: list[list[str]], pad_em: float) -> tuple[list[float], list[float]]:
    """Each column's least width (its longest word) and natural width (its longest body
    cell on one line; the header may wrap onto lines of its longest word), in ems."""
    n = len(header)
    cells = [[header[j]] + [r[j] if j < len(r) else "" for r in rows] for j in range(n)]
    least, natural = [], []
    for column in cells:
        words = [
            text_em(w, bold=(i == 0 or cell.startswith("**")))
            for i, cell in enumerate(column)
            for w in re.split(r"[ \t\n]+", plain_cell(cell))
            if w
        ]
        least.append(max(words, default=1.0) + pad_em)
        body = [text_em(plain_cell(c), bold=c.startswith("**")) for c in column[1:]]
        natural.append(max(body, default=1.0) + pad_em)
    return least, [max(a, b) for a, b in zip(natural, least)]


def landscape(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> bool:
    """Whether a table goes on a landscape page: when, on the portrait page
    (:data:`TABLE_WIDTH_EM`), its columns at their longest words leave its label
    columns (left-aligned) less than :data:`LABEL_SHARE` of the more they need to hold
    their cells on one line."""
    n = len(header)
    align = list(align or ["l"] + ["r"] * (n - 1))
    least, natural = _least_natural(header, [[plain_cell(c) for c in r] for r in rows], CELL_PAD_EM)
    want = sum(b - a for a, b, x in zip(least, natural, align) if x != "r")
    return sum(least) + LABEL_SHARE * want > TABLE_WIDTH_EM


def column_fractions(
    header: list[str],
    rows: list[list[str]],
    width_em: float = TABLE_WIDTH_EM,
    pad_em: float = CELL_PAD_EM,
    align: list[str] | None = None,
) -> list[float]:
    """Each column's share of the text width, chosen from its content (after the automatic
    table layout of CSS 2.1, section 17.5.2.2): every column first gets its longest
    word (so that no word has to break). The width left goes first to the label
    columns (left-aligned: codes, themes, outcomes), in proportion to how much more
    each needs to hold its longest cell on one line, so that a label wraps onto as few
    lines as the page allows; numeric columns (right-aligned) stay at their longest
    unit (an estimate above its interval) unless width is still left over, which is
    then shared in the same way among them, and last in proportion to every column's
    natural width. When even the longest words do not fit, the shares follow them (and
    the typesetting check reports the table). Without ``align`` every column but the
    first counts as numeric."""
    n = len(header)
    align = list(align or ["l"] + ["r"] * (n - 1))
    least, natural = _least_natural(header, rows, pad_em)
    widths = list(least)
    for group in ([j for j in range(n) if align[j] != "r"], [j for j in range(n) if align[j] == "r"]):
        spare = width_em - sum(widths)
        want = {j: natural[j] - widths[j] for j in group if natural[j] > widths[j]}
        if spare <= 0 or not want:
            continue
        share = min(1.0, spare / sum(want.values()))
        for j, w in want.items():
            widths[j] += w * share
    spare = width_em - sum(widths)
    if spare > 0:
        widths = [w + spare * b / sum(natural) for w, b in zip(widths, natural)]
    total = sum(widths)
    return [w / total for w in widths]


NBSP = "\u00a0"
WORD_JOINER = "\u2060"  # no line break here (a line may otherwise break after a slash)
_INTERVAL = re.compile(r"\((-?[\d.]+|NNT[BH] [\d.]+|∞) to (-?[\d.]+|NNT[BH] [\d.]+|∞)\)")


def keep_together(cell: str) -> str:
    """A cell with non-breaking spaces where a line break would split a unit: inside an
    interval '(2.9 to 12.3)' and after 'NNTB'/'NNTH' and '±'; a line may then break only
    before the interval, never inside it."""
    cell = re.sub(r"\b(NNT[BH]) ", rf"\1{NBSP}", cell)
    cell = re.sub(r" ± ", f"{NBSP}±{NBSP}", cell)
    return _INTERVAL.sub(lambda m: m.group(0).replace(" ", NBSP), cell)


_LEVEL = re.compile(r"\(([^()\s]+%?) CI\)")
_NEGATIVE = re.compile(r"(?<![\w.\-\u2212])-(?=\.?\d)")
MINUS = "\u2212"


def keep_level(cell: str) -> str:
    """A header with its units kept on one line: 'Risk ratio (95%\u00a0CI)' breaks, if it
    must, before '(95% CI)', never inside it; so do '(n = 22)' and 'n/N (%)'."""
    cell = re.sub(r"\(n = (\d+)\)", rf"(n{NBSP}={NBSP}\1)", cell)
    cell = cell.replace("n/N (%)", f"n/{WORD_JOINER}N{NBSP}(%)")
    return _LEVEL.sub(lambda m: f"({m.group(1)}{NBSP}CI)", cell)


def minus_signs(cell: str) -> str:
    """A cell with the minus sign (U+2212) for a negative number's hyphen ('−0.04'), as
    typeset mathematics prints it; hyphens inside words and ranges stay."""
    return _NEGATIVE.sub(MINUS, unsigned_zero(cell))


def pipe_table(header: list[str], rows: list[list[str]], align: list[str], fractions: list[float] | None = None) -> str:
    """A Markdown pipe table whose separator line carries the column widths: pandoc
    reads relative widths from the dashes when a line is longer than its column limit,
    and writes them to HTML (colgroup), DOCX (w:gridCol) and Typst (columns). Intervals
    are kept on one line (:func:`keep_together`)."""
    header = [minus_signs(keep_level(h)) for h in header]
    rows = [[minus_signs(keep_together(c)) for c in r] for r in rows]
    width = LANDSCAPE_WIDTH_EM if landscape(header, rows, align) else TABLE_WIDTH_EM
    fractions = fractions or column_fractions(header, rows, width_em=width, align=align)
    dashes = [max(3, round(400 * f)) for f in fractions]
    spec = {"l": (":", ""), "r": ("", ":"), "c": (":", ":")}
    sep = [spec[a][0] + "-" * d + spec[a][1] for a, d in zip(align, dashes)]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def coder_label(coder: str) -> str:
    """A coder's id as a reader reads it: 'coder_a' -> 'Coder A', 'rk' -> 'Rk'."""
    words = str(coder).replace("_", " ").replace("-", " ").split()
    words = [w.upper() if len(w) == 1 else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- HTML tables as cards


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def cardify(fragment: str) -> str:
    """Every ``<table>`` of an HTML fragment marked for the stylesheet's phone layout:
    class ``cards``, each body cell labelled with its column's header (``data-label``)
    and its content wrapped in one element, empty cells marked; each table wrapped in a
    box that scrolls sideways on its own if the table is wider than the column."""

    def one(match: re.Match) -> str:
        table = match.group(0)
        head = re.search(r"<thead>(.*?)</thead>", table, flags=re.S)
        labels = [_text(h) for h in re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1), flags=re.S)] if head else []
        group = [""]  # the heading row (first cell all bold, as "Gender") the rows below belong to

        def row(rm: re.Match) -> str:
            cells = iter(range(10_000))
            first = re.search(r"<td\b[^>]*>(.*?)</td>", rm.group(0), flags=re.S)
            heading = first is not None and re.fullmatch(r"\s*<strong>(.*?)</strong>\s*", first.group(1), flags=re.S)
            if heading:
                group[0] = _text(heading.group(1))

            def cell(cm: re.Match) -> str:
                i = next(cells)
                attrs, content = cm.group(1), cm.group(2)
                label = labels[i] if i < len(labels) else ""
                extra = ' class="empty"' if not _text(content) else ""
                if i == 0 and group[0] and not heading:  # a card of its own on a phone: say what it belongs to
                    extra += f' data-group="{html.escape(group[0])}"'
                return f'<td{attrs} data-label="{html.escape(label)}"{extra}><span>{content}</span></td>'

            return re.sub(r"<td\b([^>]*)>(.*?)</td>", cell, rm.group(0), flags=re.S)

        body = re.sub(r"<tr\b[^>]*>.*?</tr>", row, table, flags=re.S)
        if re.match(r"<table\b[^>]*\bclass=", body):
            body = re.sub(r'^<table\b([^>]*)class="', r'<table\1class="cards ', body, count=1)
        else:
            body = body.replace("<table", '<table class="cards"', 1)
        return f'<div class="table-scroll">{body}</div>'

    return re.sub(r"<table\b.*?</table>", one, fragment, flags=re.S)
