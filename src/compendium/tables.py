"""Formatted (rounded) versions of the result tables, and their results.json keys.

Rounding happens here and only here; the CSV files keep every digit.
"""

from __future__ import annotations

import math

import pandas as pd

from .config import Arms
from .outcomes import OUTCOME_LABELS

VARIABLE_LABELS = {
    "n": "Learners analysed",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "site": "Site",
    "age": "Age, years",
    "previous_activism": "Previous activism",
}


def fmt_p(p: float) -> str:
    """p-value for display: '<0.001', otherwise three decimals."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def _markdown(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    sep = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep[a] for a in align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _notes(*notes: str) -> str:
    kept = [n for n in notes if n]
    return ("\n" + "\n\n".join(kept) + "\n") if kept else ""


def table1_markdown(t1: pd.DataFrame, arms: Arms, note: str = "") -> str:
    n = t1[t1["variable"] == "n"].iloc[0]
    header = ["Characteristic", f"Control (n = {int(n['control'])})",
              f"Intervention (n = {int(n['intervention'])})", "p", "SMD"]
    rows: list[list[str]] = []
    for variable, block in t1[t1["variable"] != "n"].groupby("variable", sort=False):
        label = VARIABLE_LABELS.get(variable, variable)
        p = block["p_value"].iloc[0]
        rows.append([f"**{label}**", "", "", fmt_p(p), ""])
        if variable == "age":
            stats = block.set_index("statistic")
            mean, sd = stats.loc["mean"], stats.loc["sd"]
            cells = [f"{mean[a]:.1f} ± {sd[a]:.1f}" for a in ("control", "intervention")]
            rows.append(["  Mean ± SD", *cells, "", fmt_num(mean["smd"])])
            missing = block[block["level"] == "(missing)"]
            if not missing.empty:
                rows.append(["  (missing)", *(str(int(missing[a].iloc[0])) for a in ("control", "intervention")), "", ""])
            continue
        for level, lv in block.groupby("level", sort=False):
            s = lv.set_index("statistic")
            cells = [f"{int(s.at['n', a])} ({s.at['percent', a]:.1f}%)" for a in ("control", "intervention")]
            rows.append([f"  {level}", *cells, "", fmt_num(s.at["n", "smd"])])
    return (
        "# Table 1. Baseline characteristics by arm\n\n"
        + _markdown(header, rows, ["l", "r", "r", "r", "r"])
        + _notes(
            "Counts with percentages of each arm's analysed learners; age as mean ± SD. "
            "p: Pearson's chi-square for categories, Welch's t-test for age; shown for description "
            "only (in a randomised comparison, baseline differences are due to chance by design). "
            "SMD: standardized mean difference, intervention minus control.",
            note,
        )
    )


def table2_markdown(t2: pd.DataFrame, arms: Arms, note: str = "") -> str:
    header = ["Outcome", "Control, n/N (%)", "Intervention, n/N (%)", "Test", "Statistic", "p",
              "p (Holm)", "Risk difference (95% CI)", "Odds ratio (95% CI)"]
    rows = []
    for r in t2.itertuples(index=False):
        rows.append([
            OUTCOME_LABELS.get(r.outcome, r.outcome),
            f"{r.control_events}/{r.control_n} ({r.control_percent:.0f}%)",
            f"{r.intervention_events}/{r.intervention_n} ({r.intervention_percent:.0f}%)",
            "χ²(1)" if r.test == "chi2" else "Fisher",
            fmt_num(r.statistic),
            fmt_p(r.p_value),
            fmt_p(r.p_holm),
            f"{100 * r.risk_difference:.1f} ({100 * r.rd_ci_low:.1f} to {100 * r.rd_ci_high:.1f})",
            f"{r.odds_ratio:.2f} ({r.or_ci_low:.2f} to {r.or_ci_high:.2f})",
        ])
    return (
        "# Table 2. Post-intervention outcomes by arm\n\n"
        + _markdown(header, rows, ["l", "r", "r", "l", "r", "r", "r", "r", "r"])
        + _notes(
            "Test: Pearson's chi-square without continuity correction when every expected count is at "
            "least the threshold in params.yaml, otherwise Fisher's exact test (two-sided). "
            "p (Holm): adjusted for the four outcomes. Risk difference in percentage points, intervention "
            "minus control, with Newcombe's hybrid score interval; odds ratio of intervention against "
            "control with Woolf's interval.",
            note,
        )
    )


def table1_results(t1: pd.DataFrame) -> dict:
    out = {}
    for r in t1.itertuples(index=False):
        parts = ["table1", r.variable] + ([r.level] if r.level else []) + [r.statistic]
        key = ".".join(str(p).replace(" ", "_") for p in parts)
        as_count = int if r.statistic == "n" else float
        out[f"{key}.control"] = as_count(r.control)
        out[f"{key}.intervention"] = as_count(r.intervention)
        if r.variable != "n":
            out[f"table1.{r.variable}.p_value"] = r.p_value
    return out


def table2_results(t2: pd.DataFrame) -> dict:
    out = {}
    for r in t2.to_dict(orient="records"):
        for col, value in r.items():
            if col != "outcome":
                out[f"table2.{r['outcome']}.{col}"] = value
    return out


def flow_results(flow: dict) -> dict:
    """Participant-flow counts as results.json keys (``flow.<arm>.<count>``)."""
    out = {f"flow.{arm}.{key}": value for arm, counts in flow["arms"].items() for key, value in counts.items()}
    out.update({f"flow.sources.{key}": value for key, value in flow["sources"].items()})
    return out
