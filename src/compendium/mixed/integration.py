"""Mixed-methods integration: the joint display, the conceptual framework and the
participant flow.

The joint display sets a code beside the survey outcome it speaks to. Which code
speaks to which outcome is a judgement about one study, so the links come with that
study's data (``integration.links`` in ``data/raw/dataset.yaml``); without links the
display is empty and says why. For the learners present in both data sets it compares
what they said (the code appears in any unit they spoke or wrote) with what they
reported (the outcome). Raw agreement counts the learners who neither said nor
reported as agreeing, so a rare code agrees "well" with a rare outcome by chance alone;
the judgement therefore uses Cohen's kappa, agreement corrected for chance (Cohen
1960): convergent from ``convergent_kappa``, dissonant at or below ``dissonant_kappa``
(no better than chance, or worse), complementary in between, and not assessable with
fewer than ``min_learners`` learners in both data sets or no variation in either.

The conceptual framework is drawn from the data alone: two codes are linked when they
are applied to the same unit more often than chance would give, by a one-sided
hypergeometric test (Fisher's exact test of the 2 x 2 table of units with and without
each code) with Holm's adjustment over all pairs. Links are undirected, because
co-occurrence gives no direction.
"""

from __future__ import annotations

import math

import pandas as pd

JOINT_COLUMNS = [
    "code",
    "outcome",
    "direction",
    "learners_both",
    "said_and_reported",
    "said_not_reported",
    "reported_not_said",
    "neither",
    "agreement_percent",
    "kappa",
    "judgement",
    "talk_control_percent",
    "talk_intervention_percent",
    "outcome_control_percent",
    "outcome_intervention_percent",
    "quote",
    "quote_source",
    "quote_unit",
]


def study_links(dataset: dict) -> list[tuple[str, str, str]]:
    """The joint display's (code, outcome, direction) links from ``dataset.yaml``.

    The data contract checks them when the data are loaded (codes in the codebook,
    outcomes among the four, direction ``same`` or ``inverse``); an absent or empty
    ``integration.links`` gives no links.
    """
    links = ((dataset.get("integration") or {}).get("links")) or []
    return [(str(k["code"]), str(k["outcome"]), str(k.get("direction", "same"))) for k in links]


def learner_talk(coded: pd.DataFrame) -> pd.DataFrame:
    """Learner-by-code table: True where the code appears in a unit the learner spoke or wrote."""
    exploded = coded.explode("learners").dropna(subset=["learners"])
    return pd.crosstab(exploded["learners"], exploded["code"]).astype(bool)


def joint_display(
    pairs,
    coded: pd.DataFrame,
    learners: pd.DataFrame,
    quotes: pd.DataFrame,
    interviewed: set[str],
    arms,
    convergent_kappa: float = 0.4,
    dissonant_kappa: float = 0.0,
    min_learners: int = 10,
) -> pd.DataFrame:
    """One row per (code, outcome, direction) link: the 2 x 2 counts of learners who
    said and reported, the raw agreement, Cohen's kappa between talk and the expected
    report (the outcome, or its absence for ``inverse`` links), the judgement by the
    kappa rule above, the share of each arm who raised the code and who had the
    outcome, and an exemplar quote."""
    from compendium.qualitative.agreement import binary_agreement

    talk = learner_talk(coded).reindex(sorted(interviewed), fill_value=False)
    outcomes = learners.set_index("participant_id")
    rows = []
    for code, outcome, direction in pairs:
        if outcome not in outcomes.columns:
            raise ValueError(f"joint-display outcome {outcome!r} is not an outcome column")
        said = talk[code] if code in talk.columns else pd.Series(False, index=talk.index)
        reported = outcomes[outcome].reindex(talk.index)
        ok = reported.notna()
        said, reported = said[ok].astype(bool), reported[ok].astype(bool)
        expect = reported if direction == "same" else ~reported
        agree = float((said == expect).mean() * 100) if len(said) else math.nan
        kappa = (
            float(binary_agreement(said.to_numpy()[:, None], expect.to_numpy()[:, None])["cohen_kappa"][0])
            if len(said)
            else math.nan
        )
        if len(said) < min_learners or not math.isfinite(kappa):
            judgement = "not assessable"
        else:
            judgement = (
                "convergent"
                if kappa >= convergent_kappa
                else "dissonant"
                if kappa <= dissonant_kappa
                else "complementary"
            )
        arm_of = outcomes["group"]
        talk_pct = {}
        for role, arm in (("control", arms.control), ("intervention", arms.intervention)):
            members = [p for p in talk.index if arm_of.get(p) == arm]
            talk_pct[role] = float(talk.loc[members, code].mean() * 100) if members and code in talk else math.nan
        out_pct = {}
        for role, arm in (("control", arms.control), ("intervention", arms.intervention)):
            values = outcomes.loc[outcomes["group"] == arm, outcome].dropna().astype(bool)
            out_pct[role] = float(values.mean() * 100) if len(values) else math.nan
        q = quotes[(quotes["code"] == code) & (quotes["rank"] == 1)]
        rows.append(
            {
                "code": code,
                "outcome": outcome,
                "direction": direction,
                "learners_both": int(len(said)),
                "said_and_reported": int((said & reported).sum()),
                "said_not_reported": int((said & ~reported).sum()),
                "reported_not_said": int((~said & reported).sum()),
                "neither": int((~said & ~reported).sum()),
                "agreement_percent": agree,
                "kappa": kappa,
                "judgement": judgement,
                "talk_control_percent": talk_pct["control"],
                "talk_intervention_percent": talk_pct["intervention"],
                "outcome_control_percent": out_pct["control"],
                "outcome_intervention_percent": out_pct["intervention"],
                "quote": q["quote"].iloc[0] if len(q) else "",
                "quote_source": q["source_id"].iloc[0] if len(q) else "",
                "quote_unit": int(q["unit"].iloc[0]) if len(q) else 0,
            }
        )
    return pd.DataFrame(rows, columns=JOINT_COLUMNS)


EDGE_COLUMNS = [
    "code_1",
    "code_2",
    "theme_1",
    "theme_2",
    "units_both",
    "units_1",
    "units_2",
    "units_total",
    "expected",
    "lift",
    "p_value",
    "p_holm",
    "linked",
]


def framework_edges(co_units: pd.DataFrame, n_units: int, codebook: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Which pairs of codes co-occur in units more often than chance.

    Parameters
    ----------
    co_units : DataFrame
        :func:`compendium.qualitative.themes.cooccurrence` output: ``code_1``, ``code_2`` and
        ``units`` (units coded with both; the diagonal holds each code's own count).
    n_units : int
        Units in the analysis (coded or not).
    codebook : DataFrame
        ``code`` and ``theme`` columns.
    alpha : float
        Level of the Holm-adjusted one-sided test.

    Returns
    -------
    DataFrame
        One row per pair of distinct codes: the counts, the number of shared units
        expected under independence (``units_1 * units_2 / units_total``), the lift
        (observed over expected), the one-sided p-value of the hypergeometric test for
        more shared units than expected (Fisher's exact test, alternative "greater"),
        its Holm adjustment over all pairs, and ``linked`` (lift above 1 and Holm p
        below ``alpha``).

    References
    ----------
    Fisher RA (1922). On the interpretation of chi-square from contingency tables.
    J R Stat Soc 85:87-94. Holm S (1979). Scand J Stat 6:65-70.
    """
    from scipy.stats import hypergeom

    from compendium.quantitative.stats import holm

    own = {r.code_1: int(r.units) for r in co_units.itertuples(index=False) if r.code_1 == r.code_2}
    theme_of = dict(zip(codebook["code"], codebook["theme"]))
    rows = []
    for r in co_units.itertuples(index=False):
        if r.code_1 == r.code_2:
            continue
        a, b, both = own.get(r.code_1, 0), own.get(r.code_2, 0), int(r.units)
        expected = a * b / n_units if n_units else math.nan
        p = float(hypergeom.sf(both - 1, n_units, a, b)) if n_units and a and b else math.nan
        rows.append(
            {
                "code_1": r.code_1,
                "code_2": r.code_2,
                "theme_1": theme_of.get(r.code_1, ""),
                "theme_2": theme_of.get(r.code_2, ""),
                "units_both": both,
                "units_1": a,
                "units_2": b,
                "units_total": int(n_units),
                "expected": expected,
                "lift": both / expected if expected else math.nan,
                "p_value": p,
            }
        )
    edges = pd.DataFrame(rows, columns=EDGE_COLUMNS[:-2])
    tested = edges["p_value"].notna()
    edges["p_holm"] = math.nan
    if tested.any():
        edges.loc[tested, "p_holm"] = holm(edges.loc[tested, "p_value"].to_numpy())
    edges["linked"] = (edges["lift"] > 1) & (edges["p_holm"] < alpha)
    return edges[EDGE_COLUMNS].reset_index(drop=True)


def flow_counts(flow: dict, t2: pd.DataFrame, arms) -> pd.DataFrame:
    """The numbers of the CONSORT flow diagram, per arm."""
    rows = []
    for role, arm in (("control", arms.control), ("intervention", arms.intervention)):
        counts = flow["arms"][arm]
        row = {
            "arm": arm,
            "allocated": counts["enrolled"],
            "withdrew": counts["withdrew"],
            "no_post_wave": counts["no_post_wave"],
            "followed_up": counts["consented"] - counts["no_post_wave"],
        }
        for r in t2.itertuples(index=False):
            row[f"analysed_{r.outcome}"] = int(getattr(r, f"{role}_n"))
        rows.append(row)
    return pd.DataFrame(rows)
