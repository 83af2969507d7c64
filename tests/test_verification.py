"""Verification of the published claims and the reviewer's consistency checks,
against published worked examples and brute-force enumeration."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import yaml
from scipy import stats as sps

from compendium.checks import verification as v


@pytest.fixture(scope="module")
def doc(root):
    return yaml.safe_load((root / "data" / "reference" / "published.yaml").read_text())


@pytest.fixture(scope="module")
def report(root, doc, shipped_run):
    """The paper's claims checked against the shipped study's results (pristine run)."""
    results = json.loads((shipped_run / "reports" / "results.json").read_text())
    return v.verify(doc, results, (root / "data" / "reference" / "published-references.bib").read_text())


@pytest.mark.pipeline
def test_every_published_claim_reproduces(report):
    assert report["summary"]["claims"] >= 50
    assert report["summary"]["match"] == report["summary"]["claims"], [
        c for c in report["claims"] if c["status"] != "match"
    ]


@pytest.mark.pipeline
def test_the_papers_real_problems_are_reported(report):
    checks = report["checks"]
    sums = {(r["variable"], r["arm"]): r["adds_up"] for r in checks["sums_to_100"]["rows"]}
    assert sums == {
        ("gender", "control"): True,
        ("gender", "intervention"): True,
        ("ethnicity", "control"): False,
        ("ethnicity", "intervention"): False,
    }
    dups = checks["duplicate_references"]["rows"]
    assert [(d["reference"], d["duplicates"]) for d in dups] == [(6, 5)]
    assert checks["change_language"]["problems"] >= 5
    assert checks["table2_p_values"]["problems"] == 0
    assert all(check["detects"] for check in checks.values())


def test_claim_statuses():
    claims = [
        {"id": "a", "where": "T", "text": "12%", "value": 12, "decimals": 0, "kind": "percent", "key": "x"},
        {"id": "b", "where": "T", "text": "27.4", "value": 27.4, "decimals": 1, "kind": "mean", "key": "y"},
        {"id": "c", "where": "T", "text": "<0.001", "value": 0.001, "decimals": 3, "kind": "p_below", "key": "z"},
        {"id": "d", "where": "T", "text": "5%", "value": 5, "decimals": 0, "kind": "percent", "key": "missing"},
    ]
    out = v.check_claims(claims, {"x": 12.4, "y": 27.46, "z": 0.0004}).set_index("id")["status"]
    assert out.to_dict() == {"a": "match", "b": "mismatch", "c": "match", "d": "not reproducible from the data"}


def test_rounding_is_half_up_as_in_print():
    assert v.round_half_up(0.125, 2) == 0.13 and round(0.125, 2) == 0.12
    assert v.round_half_up(27.45, 1) == 27.5


def test_grim_worked_example():
    # reference: Brown and Heathers (2017) Soc Psychol Personal Sci 8:363-369: a mean of 5.19 from
    # 28 whole-number answers is impossible (145/28 = 5.18, 146/28 = 5.21)
    assert not v.grim(5.19, 28, 2)
    assert v.grim(5.18, 28, 2) and v.grim(5.21, 28, 2)
    assert v.grim(27.4, 100, 1)  # the paper's age mean: consistent, and GRIM is blind at n = 100
    assert not v.grim_informative(100, 1) and v.grim_informative(28, 2)


def _achievable(n: int, values: range, decimals: int = 2) -> set[tuple[float, float]]:
    out = set()
    for combo in itertools.combinations_with_replacement(values, n):
        mean = sum(combo) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in combo) / (n - 1))
        out.add((v.round_half_up(mean, decimals), v.round_half_up(sd, decimals)))
    return out


def test_grimmer_against_brute_force():
    # reference: enumeration of every multiset of 5 whole numbers from 1 to 7 (Anaya 2016's test is
    # a necessary condition: every achievable pair passes, every pair it rejects is unachievable)
    achievable = _achievable(5, range(1, 8))
    for mean, sd in achievable:
        assert v.grimmer(mean, sd, 5, 2, 2), (mean, sd)
    rejected = [
        (m / 100, s / 100)
        for m in range(100, 701, 7)
        for s in range(0, 320, 3)
        if not v.grimmer(m / 100, s / 100, 5, 2, 2)
    ]
    assert rejected and not set(rejected) & achievable


def test_debit_against_brute_force():
    # reference: Heathers and Brown (2019) DEBIT: for 0/1 data the SD is sqrt(p(1-p) n/(n-1)); enumerated
    n = 40
    pairs = {
        (v.round_half_up(k / n, 2), v.round_half_up(math.sqrt(k / n * (1 - k / n) * n / (n - 1)), 2))
        for k in range(n + 1)
    }
    for mean, sd in pairs:
        assert v.debit(mean, sd, n, 2, 2)
    assert not v.debit(0.30, 0.40, n, 2, 2)  # the SD of 30% of 40 is 0.46


@pytest.mark.parametrize(
    "reported,computed,ok",
    [
        ("< .001", 2.35e-07, True),
        ("< .001", 0.002, False),
        ("= .04", 0.036, True),
        ("= .03", 0.036, False),
        ("= .05", 0.0504, True),
        ("> .05", 0.2, True),
        ("p < 0.001", 0.0009, True),
    ],
)
def test_p_consistency_follows_statcheck(reported, computed, ok):
    # reference: statcheck (Nuijten et al. 2016): p = .036 is reported as .04, not .03; an inequality holds
    # when the recomputed p lies on its side
    assert v.p_consistent(reported, computed) is ok


def test_unreadable_p_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot read a p-value"):
        v.p_consistent("significant", 0.01)


def test_table2_pvalues_from_percentages_match_scipy():
    out = v.table2_pvalues({"leadership_role": {"control": 5, "intervention": 40, "reported": "< 0.001"}}, 100, 100)
    p = dict(zip(out["test"], out["p_recomputed"]))
    # reference: scipy.stats.chi2_contingency / fisher_exact on [[40, 60], [5, 95]]
    assert p["chi2"] == pytest.approx(sps.chi2_contingency([[40, 60], [5, 95]], correction=False).pvalue)
    assert p["chi2_yates"] == pytest.approx(sps.chi2_contingency([[40, 60], [5, 95]], correction=True).pvalue)
    assert p["fisher"] == pytest.approx(sps.fisher_exact([[40, 60], [5, 95]]).pvalue)
    assert out["consistent"].all()


def test_change_language_flags_only_change_words():
    out = v.change_language(
        [
            {"where": "x", "compares": "arms", "excerpt": "a decrease in White participants (from 30% to 20%)"},
            {
                "where": "y",
                "compares": "arms",
                "excerpt": "a higher share in the intervention arm than in the control arm",
            },
        ]
    )
    assert out["flagged"].tolist() == [True, False]


def test_bibtex_duplicates():
    bib = (
        "@article{a,\n title = {One {REACT}},\n author = {Doe, J.},\n year = {2022}\n}\n"
        "@article{b,\n title = {One REACT},\n author = {Doe, J. and Roe, K.},\n year = {2022}\n}\n"
        "@article{c,\n title = {Two},\n author = {Doe, J.},\n year = {2022}\n}\n"
    )
    dups = v.duplicate_references(v.parse_bibtex(bib))
    assert dups[["reference", "duplicates"]].values.tolist() == [[2, 1]]
