"""Verification: the paper's claims against the recomputed results, and checks a
reviewer can run on the published numbers alone.

Claim statuses: ``match`` (the recomputed value, rounded as the paper rounded it,
equals the published one; or lies below a published ``p <`` threshold),
``mismatch``, or ``not reproducible from the data`` (no recomputed value exists).

Consistency checks use only what the paper prints:

- Table 2 p-values recomputed from the published percentages and n (Pearson's
  chi-square with and without Yates' correction, Fisher's exact test) against the
  printed threshold, with statcheck's rule for a reported inequality;
- GRIM (Brown and Heathers 2017) on percentages and means, GRIMMER (Anaya 2016) on
  SDs, DEBIT (Heathers and Brown 2019) on binary variables given with a mean and SD;
- whether the printed percentages of each categorical variable add up to 100;
- duplicate entries in the reference list;
- statements that describe a difference between the arms as a change over time.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

STATUSES = ("match", "mismatch", "not reproducible from the data")


# --------------------------------------------------------------------------- rounding


def round_half_up(value: float, decimals: int) -> float:
    """Round as a paper does (0.125 -> 0.13), not as Python's banker's rounding."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _bounds(value: float, decimals: int) -> tuple[float, float]:
    half = 0.5 * 10**-decimals
    return value - half, value + half


# --------------------------------------------------------------------------- claims


def check_claims(claims: list[dict], results: dict) -> pd.DataFrame:
    rows = []
    for c in claims:
        value = results.get(c["key"])
        row = {
            "id": c["id"],
            "where": c["where"],
            "text": c["text"],
            "published": c["value"],
            "recomputed": value,
            "key": c["key"],
        }
        if value is None or (isinstance(value, float) and math.isnan(value)):
            row.update(rule="a value under this key in results.json", status=STATUSES[2])
        elif c["kind"] == "p_below":
            row.update(rule=f"recomputed p < {c['value']}", status=STATUSES[0] if value < c["value"] else STATUSES[1])
        else:
            shown = round_half_up(float(value), int(c["decimals"]))
            row.update(
                rule=f"rounded half up to {c['decimals']} decimal(s): {shown:g}",
                status=STATUSES[0] if math.isclose(shown, float(c["value"]), abs_tol=1e-9) else STATUSES[1],
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "where", "text", "published", "recomputed", "key", "rule", "status"])


# --------------------------------------------------------------------------- GRIM family


def grim(mean: float, n: int, decimals: int, items: int = 1) -> bool:
    """GRIM: can ``n`` whole-number answers (``items`` per person) have a mean that
    rounds to ``mean`` at ``decimals`` places?"""
    lo, hi = _bounds(mean, decimals)
    scale = n * items
    return any(
        round_half_up(total / scale, decimals) == round(mean, decimals)
        for total in range(math.floor(lo * scale), math.ceil(hi * scale) + 1)
    )


def grim_informative(n: int, decimals: int, items: int = 1) -> bool:
    """GRIM can only flag a mean when the granularity 1/(n*items) is coarser than
    the reporting precision, i.e. when n*items < 10**decimals."""
    return n * items < 10**decimals


def grimmer(mean: float, sd: float, n: int, decimals_mean: int, decimals_sd: int) -> bool:
    """GRIMMER: can ``n`` whole numbers have this mean and this (sample) SD at the
    reported precision? The sum must be a whole number consistent with the mean;
    the sum of squares must be a whole number within the SD's rounding interval,
    with the same parity as the sum."""
    if n < 2:
        raise ValueError("GRIMMER needs at least two observations")
    m_lo, m_hi = _bounds(mean, decimals_mean)
    s_lo, s_hi = _bounds(sd, decimals_sd)
    for total in range(math.ceil(m_lo * n - 1e-9), math.floor(m_hi * n + 1e-9) + 1):
        if round_half_up(total / n, decimals_mean) != round(mean, decimals_mean):
            continue
        q_lo = (n - 1) * max(s_lo, 0) ** 2 + total**2 / n
        q_hi = (n - 1) * s_hi**2 + total**2 / n
        for q in range(math.ceil(q_lo - 1e-9), math.floor(q_hi + 1e-9) + 1):
            if q % 2 != total % 2:
                continue
            s = math.sqrt(max(q - total**2 / n, 0) / (n - 1))
            if round_half_up(s, decimals_sd) == round(sd, decimals_sd):
                return True
    return False


def debit(mean: float, sd: float, n: int, decimals_mean: int, decimals_sd: int) -> bool:
    """DEBIT: for a binary (0/1) variable the SD follows from the mean; is the
    reported SD one that some count k of n, consistent with the mean, gives?"""
    for k in range(n + 1):
        p = k / n
        if round_half_up(p, decimals_mean) != round(mean, decimals_mean):
            continue
        s = math.sqrt(p * (1 - p) * n / (n - 1))
        if round_half_up(s, decimals_sd) == round(sd, decimals_sd):
            return True
    return False


# --------------------------------------------------------------------------- p-values


def p_consistent(reported: str, computed: float) -> bool:
    """statcheck's reading of a reported p: '< x' holds when the computed p is below
    x; '= x' when the computed p rounds to x at the printed precision; '> x' above."""
    m = re.fullmatch(r"\s*p?\s*([<>=])\s*(0?\.\d+)\s*", reported.replace("≤", "<"))
    if not m:
        raise ValueError(f"cannot read a p-value from {reported!r} (expected for example '< .001' or '= .03')")
    op, text = m.group(1), m.group(2)
    value = float(text)
    if op == "<":
        return computed < value
    if op == ">":
        return computed > value
    decimals = len(text.split(".")[1])
    return round_half_up(computed, decimals) == value


def table2_pvalues(published: dict[str, dict], n_control: int, n_intervention: int) -> pd.DataFrame:
    """Each outcome's p recomputed from the published percentages and arm sizes."""
    from scipy.stats import chi2_contingency, fisher_exact

    rows = []
    for outcome, claim in published.items():
        c = round(claim["control"] * n_control / 100)
        i = round(claim["intervention"] * n_intervention / 100)
        table = [[i, n_intervention - i], [c, n_control - c]]
        tests = {
            "chi2": chi2_contingency(table, correction=False).pvalue,
            "chi2_yates": chi2_contingency(table, correction=True).pvalue,
            "fisher": fisher_exact(table).pvalue,
        }
        for test, p in tests.items():
            rows.append(
                {
                    "outcome": outcome,
                    "control_events": c,
                    "intervention_events": i,
                    "test": test,
                    "p_recomputed": float(p),
                    "reported": claim["reported"],
                    "consistent": p_consistent(claim["reported"], float(p)),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- other checks


def sums_to_100(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        total = sum(r["percents"].values())
        out.append(
            {
                "variable": r["variable"],
                "arm": r["arm"],
                "where": r["where"],
                "printed": ", ".join(f"{k} {v}%" for k, v in r["percents"].items()),
                "total": total,
                "adds_up": math.isclose(total, 100, abs_tol=1),
            }
        )
    return pd.DataFrame(out)


def parse_bibtex(text: str) -> list[dict]:
    """Entries of a BibTeX file: key, type and lower-cased fields (enough for duplicates)."""
    entries = []
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, flags=re.S):
        fields = {
            k.lower(): re.sub(r"\s+", " ", re.sub(r"[{}]", "", v)).strip()
            for k, v in re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", m.group(3))
        }
        entries.append({"type": m.group(1).lower(), "key": m.group(2), **fields})
    return entries


def duplicate_references(entries: list[dict]) -> pd.DataFrame:
    """Pairs of references with the same title, year and first author (normalised)."""

    def norm(e: dict) -> tuple:
        title = re.sub(r"[^a-z0-9]+", " ", e.get("title", "").lower()).strip()
        first = re.sub(r"[^a-z]+", "", e.get("author", "").split(" and ")[0].split(",")[0].lower())
        return title, e.get("year", ""), first

    seen: dict[tuple, int] = {}
    rows = []
    for number, e in enumerate(entries, start=1):
        key = norm(e)
        if key in seen:
            rows.append({"reference": number, "duplicates": seen[key], "key": e["key"], "title": e.get("title", "")})
        else:
            seen[key] = number
    return pd.DataFrame(rows, columns=["reference", "duplicates", "key", "title"])


CHANGE_WORDS = re.compile(
    r"\b(increase[sd]?|decrease[sd]?|rise|rose|fell|drop(?:ped)?|shift(?:ed)?|grew|decline[sd]?|"
    r"improve(?:d|ment)?|changes?|from \d+(?:\.\d+)?% to \d+(?:\.\d+)?%)",
    re.IGNORECASE,
)


def change_language(statements: list[dict]) -> pd.DataFrame:
    """Statements that compare the two arms at one time point in words of change
    over time ('a decrease from 30% to 20%'): between-arm differences are not changes."""
    rows = []
    for s in statements:
        words = sorted({m.group(0).lower() for m in CHANGE_WORDS.finditer(s["excerpt"])})
        rows.append(
            {
                "where": s["where"],
                "compares": s["compares"],
                "excerpt": s["excerpt"],
                "change_words": ", ".join(words),
                "flagged": bool(words),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the report


def _published_table2(claims: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for c in claims:
        m = re.fullmatch(r"table2\.(\w+)\.(control|intervention|p_value)", c["id"])
        if m:
            entry = out.setdefault(m.group(1), {})
            if m.group(2) == "p_value":
                entry["reported"] = f"< {c['value']}"
            else:
                entry[m.group(2)] = c["value"]
    return out


def consistency_checks(doc: dict, bib_text: str) -> dict[str, pd.DataFrame]:
    """All checks that need nothing but the published numbers."""
    claims = doc["claims"]
    by_id = {c["id"]: c for c in claims}
    n = {arm: int(by_id[f"table1.n.{arm}"]["value"]) for arm in ("control", "intervention")}
    checks: dict[str, pd.DataFrame] = {}
    checks["table2_p_values"] = table2_pvalues(_published_table2(claims), n["control"], n["intervention"])

    grim_rows, grimmer_rows = [], []
    for c in claims:
        if not c["id"].startswith(("table1.", "table2.")) or c["kind"] not in ("percent", "mean"):
            continue
        arm = "intervention" if c["id"].endswith("intervention") else "control"
        if c["kind"] == "percent":
            value, decimals = c["value"] / 100, int(c["decimals"]) + 2
        else:
            value, decimals = c["value"], int(c["decimals"])
        grim_rows.append(
            {
                "claim": c["id"],
                "where": c["where"],
                "value": c["value"],
                "n": n[arm],
                "consistent": grim(value, n[arm], decimals),
                "informative": grim_informative(n[arm], decimals),
            }
        )
    for arm in ("control", "intervention"):
        mean, sd = by_id[f"table1.age.mean.{arm}"], by_id[f"table1.age.sd.{arm}"]
        grimmer_rows.append(
            {
                "claim": f"table1.age.{arm}",
                "where": mean["where"],
                "mean": mean["value"],
                "sd": sd["value"],
                "n": n[arm],
                "consistent": grimmer(mean["value"], sd["value"], n[arm], int(mean["decimals"]), int(sd["decimals"])),
                "informative": grim_informative(n[arm], int(mean["decimals"])),
            }
        )
    checks["grim"] = pd.DataFrame(grim_rows)
    checks["grimmer"] = pd.DataFrame(grimmer_rows)
    checks["debit"] = pd.DataFrame(columns=["claim", "mean", "sd", "n", "consistent"])
    checks["sums_to_100"] = sums_to_100(doc.get("categorical_rows", []))
    checks["duplicate_references"] = duplicate_references(parse_bibtex(bib_text))
    checks["change_language"] = change_language(doc.get("statements", []))
    return checks


WHAT_IT_DETECTS = {
    "table2_p_values": "Recomputes each p from the printed percentages and arm sizes. With 100 learners per arm the "
    "percentages give the counts exactly, so an inconsistency would be a real error; it cannot tell "
    "which test the authors ran, hence all three.",
    "grim": "A mean of whole-number data must be a multiple of 1/n. With n = 100 every percentage to the nearest "
    "whole number and every mean to one decimal is attainable, so GRIM cannot flag anything here.",
    "grimmer": "Adds the SD: the sum of squares must be a whole number of the right parity. With n = 100 nearly "
    "every SD is attainable at one decimal, so the check is weak at this size.",
    "debit": "For a 0/1 variable the SD follows from the mean. The paper prints no binary variable with both a mean "
    "and an SD, so there is nothing to check.",
    "sums_to_100": "The printed categories of a variable should add up to 100% of the arm. Ethnicity lists only "
    "White and Asian, so its rows cannot add up: the remaining learners are not described.",
    "duplicate_references": "Entries with the same first author, title and year.",
    "change_language": "Both tables compare two arms at one time point (Table 1 before, Table 2 after the "
    "intervention). Words of change ('decrease', 'from 30% to 20%', 'rise') describe a difference "
    "between groups as if it were a change over time, which these data cannot show.",
}


def verify(doc: dict, results: dict, bib_text: str) -> dict:
    """The verification report as plain data (what verification.json holds)."""
    claims = check_claims(doc["claims"], results)
    checks = consistency_checks(doc, bib_text)
    problems = {
        "table2_p_values": int((~checks["table2_p_values"]["consistent"]).sum()),
        "grim": int((~checks["grim"]["consistent"]).sum()),
        "grimmer": int((~checks["grimmer"]["consistent"]).sum()),
        "debit": 0,
        "sums_to_100": int((~checks["sums_to_100"]["adds_up"]).sum()),
        "duplicate_references": len(checks["duplicate_references"]),
        "change_language": int(checks["change_language"]["flagged"].sum()),
    }
    counts = claims["status"].value_counts().to_dict()
    return {
        "claims": claims.to_dict(orient="records"),
        "summary": {status: int(counts.get(status, 0)) for status in STATUSES} | {"claims": len(claims)},
        "checks": {
            name: {
                "detects": WHAT_IT_DETECTS[name],
                "problems": problems[name],
                "rows": frame.to_dict(orient="records"),
            }
            for name, frame in checks.items()
        },
    }


COMPARISON_WORDS = {
    "match": "within rounding",
    "mismatch": "differs",
    "not reproducible from the data": "not computable from these data",
}


def headline(summary: dict, twin: bool = True) -> str:
    """The report's opening sentence. On the shipped synthetic study (written to
    reproduce the paper) it counts matches and mismatches; on any other data the
    paper's numbers describe other learners, so the same counts are framed as a
    comparison with the original study, not as failures."""
    total = summary["claims"]
    if twin:
        return (
            f"{total} numbers printed in the paper were compared with the values this pipeline computes: "
            f"**{summary['match']} match**, {summary['mismatch']} mismatch, "
            f"{summary['not reproducible from the data']} not reproducible from the data."
        )
    return (
        f"Of the {total} numbers the original study's paper prints, "
        f"**{summary['match']} are within their rounding in these data**, {summary['mismatch']} differ and "
        f"{summary['not reproducible from the data']} cannot be computed from these data. The original numbers "
        "describe other learners, so differences are expected and are not errors of either study."
    )


def markdown(report: dict, note: str = "", twin: bool = True) -> str:
    from compendium.reporting.tables import fmt_p

    s = report["summary"]
    title = "# Verification of the published claims" if twin else "# Comparison with the original study"
    lines = [title, "", headline(s, twin), ""]
    if note:
        lines += [note, ""]
    words = {k: k for k in COMPARISON_WORDS} if twin else COMPARISON_WORDS
    lines += ["| Claim | Where | Printed | Recomputed | Rule | Status |", "| :--- | :--- | ---: | ---: | :--- | :--- |"]
    for c in report["claims"]:
        value = c["recomputed"]
        shown = "" if value is None else (fmt_p(value) if "p <" in c["rule"] else f"{value:.4g}")
        lines.append(
            f"| {c['id']} | {c['where']} | {c['text']} | {shown} | {c['rule']} | "
            f"{words.get(c['status'], c['status'])} |"
        )
    lines += ["", "## Checks on the published numbers alone", ""]
    titles = {
        "table2_p_values": "Table 2 p-values from the printed percentages",
        "grim": "GRIM",
        "grimmer": "GRIMMER (age SDs)",
        "debit": "DEBIT",
        "sums_to_100": "Do the categories add up to 100%?",
        "duplicate_references": "Duplicate references",
        "change_language": "Differences described as changes",
    }
    for name, check in report["checks"].items():
        lines += [f"### {titles[name]}", "", check["detects"], "", f"Problems found: **{check['problems']}**.", ""]
        rows = check["rows"]
        if name == "table2_p_values":
            lines += [
                "| Outcome | Counts (control, intervention) | Test | Recomputed p | Printed | Consistent |",
                "| :--- | ---: | :--- | ---: | :--- | :--- |",
            ]
            lines += [
                f"| {r['outcome']} | {r['control_events']}, {r['intervention_events']} | {r['test']} | "
                f"{r['p_recomputed']:.3g} | {r['reported']} | {'yes' if r['consistent'] else 'no'} |"
                for r in rows
            ]
        elif name == "sums_to_100":
            lines += ["| Variable | Arm | Printed | Total |", "| :--- | :--- | :--- | ---: |"]
            lines += [f"| {r['variable']} | {r['arm']} | {r['printed']} | {r['total']}% |" for r in rows]
        elif name == "duplicate_references":
            lines += [f"- Reference {r['reference']} repeats reference {r['duplicates']}: {r['title']}" for r in rows]
        elif name == "change_language":
            lines += [
                f'- {r["where"]} ({r["compares"]}): "{r["excerpt"]}" (words: {r["change_words"]})'
                for r in rows
                if r["flagged"]
            ]
        elif rows:
            lines += [
                f"- {r['claim']}: {'consistent' if r['consistent'] else 'INCONSISTENT'}"
                + ("" if r.get("informative", True) else " (not informative at this n)")
                for r in rows
            ]
        lines.append("")
    return "\n".join(lines)
