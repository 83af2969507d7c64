"""Joint display, framework edges and participant flow."""

from __future__ import annotations

import pandas as pd
import pytest

from compendium.core.config import Arms
from compendium.mixed import integration
from compendium.qualitative import themes
from compendium.qualitative.deidentify import Deidentifier, deidentify_units
from compendium.quantitative.outcomes import derive, table2


@pytest.fixture(scope="module")
def pieces(shipped_study):
    s = shipped_study
    units, _ = deidentify_units(s.units, Deidentifier())
    people = themes.unit_people(units, s.sources, s.participants)
    coded = themes.coded_units(people, s.codings, s.codebook)
    learners = derive(s.participants, s.survey, s.cc_items, s.support_items)
    return s, people, coded, learners


def test_links_come_from_the_study_description():
    dataset = {
        "integration": {"links": [{"code": "a", "outcome": "b", "direction": "same"}, {"code": "c", "outcome": "d"}]}
    }
    assert integration.study_links(dataset) == [("a", "b", "same"), ("c", "d", "same")]
    assert integration.study_links({}) == [] and integration.study_links({"integration": {}}) == []


def test_without_links_the_joint_display_is_empty(pieces):
    s, people, coded, learners = pieces
    joint = integration.joint_display([], coded, learners, themes.exemplar_quotes(coded), set(), Arms())
    assert joint.empty and list(joint.columns) == integration.JOINT_COLUMNS


def test_joint_display_counts_by_hand(pieces):
    s, people, coded, learners = pieces
    interviewed = {p for ps in people["learners"] for p in ps}
    quotes = themes.exemplar_quotes(coded)
    joint = integration.joint_display(
        [
            ("leadership_development", "leadership_role", "same"),
            ("mentorship_support_needs", "perceived_support", "inverse"),
        ],
        coded,
        learners,
        quotes,
        interviewed,
        Arms(),
    ).set_index("code")
    talkers = set(coded.loc[coded["code"] == "leadership_development"].explode("learners")["learners"].dropna())
    outcome = learners.set_index("participant_id")["leadership_role"]
    both = [p for p in sorted(interviewed) if pd.notna(outcome.get(p))]
    said = {p for p in both if p in talkers}
    reported = {p for p in both if bool(outcome[p])}
    row = joint.loc["leadership_development"]
    assert row["learners_both"] == len(both)
    assert row["said_and_reported"] == len(said & reported)
    assert row["neither"] == len(set(both) - said - reported)
    agree = 100 * (len(said & reported) + len(set(both) - said - reported)) / len(both)
    assert row["agreement_percent"] == pytest.approx(agree)
    # reference: scikit-learn's Cohen's kappa of talk against report
    from sklearn.metrics import cohen_kappa_score

    kappa = cohen_kappa_score([p in said for p in both], [p in reported for p in both])
    assert row["kappa"] == pytest.approx(kappa)
    judged = "convergent" if kappa >= 0.4 else "dissonant" if kappa <= 0 else "complementary"
    assert row["judgement"] == judged
    inverse = joint.loc["mentorship_support_needs"]
    assert inverse["agreement_percent"] == pytest.approx(
        100 * (inverse["said_not_reported"] + inverse["reported_not_said"]) / inverse["learners_both"]
    )
    assert row["quote"] and row["quote_source"]


def test_judgement_thresholds_come_from_params(pieces):
    s, people, coded, learners = pieces
    interviewed = {p for ps in people["learners"] for p in ps}
    quotes = themes.exemplar_quotes(coded)
    pair = [("leadership_development", "leadership_role", "same")]
    strict = integration.joint_display(pair, coded, learners, quotes, interviewed, Arms(), 1.01, -1.01)
    lenient = integration.joint_display(pair, coded, learners, quotes, interviewed, Arms(), -1.0, -1.01)
    few = integration.joint_display(pair, coded, learners, quotes, interviewed, Arms(), min_learners=10_000)
    assert strict["judgement"].iloc[0] == "complementary" and lenient["judgement"].iloc[0] == "convergent"
    assert few["judgement"].iloc[0] == "not assessable"


def test_chance_agreement_is_not_convergent():
    """A rare code beside a rare outcome, independent of each other: raw agreement is
    high (most learners neither said nor reported), kappa is about zero."""
    learners = pd.DataFrame(
        {
            "participant_id": [f"p{i:02d}" for i in range(40)],
            "group": ["control", "intervention"] * 20,
            "leadership_role": [i in (0, 1, 2) for i in range(40)],
        }
    )
    coded = pd.DataFrame({"code": ["lead"] * 3, "learners": [["p10"], ["p11"], ["p12"]]})
    quotes = pd.DataFrame(columns=["code", "rank", "quote", "source_id", "unit"])
    row = integration.joint_display(
        [("lead", "leadership_role", "same")], coded, learners, quotes, set(learners["participant_id"]), Arms()
    ).iloc[0]
    assert row["agreement_percent"] == pytest.approx(85.0)
    assert row["kappa"] < 0 and row["judgement"] == "dissonant"


def test_framework_edges_match_fisher_and_holm(pieces):
    """Reference: scipy's one-sided Fisher exact test of each pair's 2 x 2 table of units
    and statsmodels' Holm adjustment."""
    from scipy.stats import fisher_exact
    from statsmodels.stats.multitest import multipletests

    s, people, coded, _ = pieces
    co = themes.cooccurrence(people, s.codings, list(s.codebook["code"]))
    edges = integration.framework_edges(co, len(people), s.codebook, alpha=0.05)
    k = len(s.codebook)
    assert len(edges) == k * (k - 1) // 2
    n = len(people)
    for e in edges.itertuples():
        table = [
            [e.units_both, e.units_1 - e.units_both],
            [e.units_2 - e.units_both, n - e.units_1 - e.units_2 + e.units_both],
        ]
        assert e.p_value == pytest.approx(fisher_exact(table, alternative="greater")[1], rel=1e-9, abs=1e-12)
        assert e.expected == pytest.approx(e.units_1 * e.units_2 / n)
    holm = multipletests(edges["p_value"], method="holm")[1]
    assert edges["p_holm"].to_numpy() == pytest.approx(holm, rel=1e-9, abs=1e-12)
    assert (edges["linked"] == ((edges["lift"] > 1) & (edges["p_holm"] < 0.05))).all()


def test_framework_links_only_pairs_stronger_than_chance():
    """Two codes that always travel together are linked; codes spread independently are not."""
    codes = ["x1", "x2", "y1", "y2"]
    codebook = pd.DataFrame(
        {"code": codes, "theme": ["tx", "tx", "ty", "ty"], "code_label": codes, "theme_label": ["TX", "TX", "TY", "TY"]}
    )
    units = pd.DataFrame({"source_id": ["s"] * 80, "unit": range(1, 81)})
    rows = []
    for u in range(1, 81):
        if u <= 20:
            rows += [("consensus", "s", u, "x1"), ("consensus", "s", u, "y1")]
        if u % 2 == 0:
            rows.append(("consensus", "s", u, "x2"))
        if u % 3 == 0:
            rows.append(("consensus", "s", u, "y2"))
    codings = pd.DataFrame(rows, columns=["coder", "source_id", "unit", "code"])
    co = themes.cooccurrence(units, codings, codes)
    edges = integration.framework_edges(co, len(units), codebook)
    linked = {(e.code_1, e.code_2) for e in edges.itertuples() if e.linked}
    assert linked == {("x1", "y1")}


def test_flow_counts_add_up(pieces):
    s, _, _, learners = pieces
    flow = integration.flow_counts(s.flow, table2(learners), Arms()).set_index("arm")
    for arm in ("control", "intervention"):
        r = flow.loc[arm]
        assert r["allocated"] - r["withdrew"] - r["no_post_wave"] == r["followed_up"]
        assert r["analysed_leadership_role"] <= r["followed_up"]
