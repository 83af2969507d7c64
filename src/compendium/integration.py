"""Mixed-methods integration: the joint display, the conceptual framework and the
participant flow.

The joint display sets each theme beside the survey outcome it speaks to (pairs in
``params.yaml``). For the learners present in both data sets it compares what they
said (the code appears in any unit they spoke or wrote) with what they reported (the
outcome), and judges each pair convergent, complementary or dissonant by the
agreement rule in ``params.yaml``.
"""

from __future__ import annotations

import math

import pandas as pd

JOINT_COLUMNS = ["code", "outcome", "direction", "learners_both", "said_and_reported", "said_not_reported",
                 "reported_not_said", "neither", "agreement_percent", "judgement",
                 "talk_control_percent", "talk_intervention_percent",
                 "outcome_control_percent", "outcome_intervention_percent", "quote", "quote_source", "quote_unit"]


def parse_pairs(text: str) -> list[tuple[str, str, str]]:
    """'code:outcome:direction; ...' (direction 'same' or 'inverse') from a parameter."""
    pairs = []
    for item in str(text or "").split(";"):
        if not item.strip():
            continue
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 3 or parts[2] not in ("same", "inverse"):
            raise ValueError(f"joint-display pair {item.strip()!r} must read code:outcome:same or "
                             "code:outcome:inverse (params.yaml: integration.pairs)")
        pairs.append((parts[0], parts[1], parts[2]))
    return pairs


def learner_talk(coded: pd.DataFrame) -> pd.DataFrame:
    """Learner-by-code table: True where the code appears in a unit the learner spoke or wrote."""
    exploded = coded.explode("learners").dropna(subset=["learners"])
    return pd.crosstab(exploded["learners"], exploded["code"]).astype(bool)


def joint_display(pairs, coded: pd.DataFrame, learners: pd.DataFrame, quotes: pd.DataFrame,
                  interviewed: set[str], arms, convergent_min: float = 70.0,
                  dissonant_max: float = 40.0) -> pd.DataFrame:
    talk = learner_talk(coded).reindex(sorted(interviewed), fill_value=False)
    outcomes = learners.set_index("participant_id")
    rows = []
    for code, outcome, direction in pairs:
        if code not in coded["code"].unique() and code not in talk.columns:
            raise ValueError(f"joint-display code {code!r} is not in the codebook's consensus coding")
        if outcome not in outcomes.columns:
            raise ValueError(f"joint-display outcome {outcome!r} is not an outcome column")
        said = talk[code] if code in talk.columns else pd.Series(False, index=talk.index)
        reported = outcomes[outcome].reindex(talk.index)
        ok = reported.notna()
        said, reported = said[ok].astype(bool), reported[ok].astype(bool)
        expect = reported if direction == "same" else ~reported
        agree = float((said == expect).mean() * 100) if len(said) else math.nan
        judgement = ("convergent" if agree >= convergent_min else
                     "dissonant" if agree <= dissonant_max else "complementary") if len(said) else "not assessable"
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
        rows.append({
            "code": code, "outcome": outcome, "direction": direction, "learners_both": int(len(said)),
            "said_and_reported": int((said & reported).sum()), "said_not_reported": int((said & ~reported).sum()),
            "reported_not_said": int((~said & reported).sum()), "neither": int((~said & ~reported).sum()),
            "agreement_percent": agree, "judgement": judgement,
            "talk_control_percent": talk_pct["control"], "talk_intervention_percent": talk_pct["intervention"],
            "outcome_control_percent": out_pct["control"], "outcome_intervention_percent": out_pct["intervention"],
            "quote": q["quote"].iloc[0] if len(q) else "", "quote_source": q["source_id"].iloc[0] if len(q) else "",
            "quote_unit": int(q["unit"].iloc[0]) if len(q) else 0,
        })
    return pd.DataFrame(rows, columns=JOINT_COLUMNS)


FRAMEWORK_THEMES = ("motivations", "strategies", "empowerment", "challenges")


def framework_edges(co_sources: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Edges of the conceptual framework, weighted by the number of sources in which
    both codes occur: motivations to strategies, strategies to leadership (learners
    leading change), and challenges or needs to strategies."""
    theme_of = dict(zip(codebook["code"], codebook["theme"]))
    links = {("motivations", "strategies"), ("strategies", "empowerment"), ("challenges", "strategies")}
    rows = []
    for r in co_sources.itertuples(index=False):
        if r.code_1 == r.code_2:
            continue
        for a, b in ((r.code_1, r.code_2), (r.code_2, r.code_1)):
            if (theme_of.get(a), theme_of.get(b)) in links and r.sources > 0:
                rows.append({"source_code": a, "target_code": b, "from_theme": theme_of[a],
                             "to_theme": theme_of[b], "sources": int(r.sources)})
    return pd.DataFrame(rows, columns=["source_code", "target_code", "from_theme", "to_theme", "sources"]) \
        .sort_values(["from_theme", "source_code", "target_code"], kind="stable").reset_index(drop=True)


def flow_counts(flow: dict, t2: pd.DataFrame, arms) -> pd.DataFrame:
    """The numbers of the CONSORT flow diagram, per arm."""
    rows = []
    for role, arm in (("control", arms.control), ("intervention", arms.intervention)):
        counts = flow["arms"][arm]
        row = {"arm": arm, "allocated": counts["enrolled"], "withdrew": counts["withdrew"],
               "no_post_wave": counts["no_post_wave"],
               "followed_up": counts["consented"] - counts["no_post_wave"]}
        for r in t2.itertuples(index=False):
            row[f"analysed_{r.outcome}"] = int(getattr(r, f"{role}_n"))
        rows.append(row)
    return pd.DataFrame(rows)
