"""Shapes of data the shipped study never has: empty outcome columns, sites without
information, missing ages, count columns with gaps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scratch import site_table

from compendium.core.config import Arms
from compendium.quantitative import demographics, sites, stats
from compendium.reporting import tables


def test_odds_ratio_is_not_estimable_without_events():
    assert all(math.isnan(v) for v in stats.odds_ratio(0, 17, 0, 28)[:3])
    assert all(math.isnan(v) for v in stats.odds_ratio(17, 17, 28, 28)[:3])
    est, low, high, corrected = stats.odds_ratio(0, 17, 3, 28)
    assert corrected and low < est < high


def test_pooling_leaves_out_sites_without_information():
    """Reference: with the uninformative site left out, the pooled log OR equals
    statsmodels' DerSimonian-Laird combination of the other two sites."""
    from statsmodels.stats.meta_analysis import combine_effects

    by_site = site_table(
        [
            ("a", "leadership_role", 2, 20, 8, 22),
            ("b", "leadership_role", 0, 15, 0, 14),
            ("c", "leadership_role", 3, 18, 9, 19),
        ]
    )
    pooled = sites.meta_analysis(by_site).set_index("measure")
    row = pooled.loc["log_odds_ratio"]
    assert row["sites"] == 2 and "b" in row["note"]
    eff = sites.site_effects(by_site).dropna(subset=["log_or"])
    ref = combine_effects(eff["log_or"].to_numpy(), eff["log_or_var"].to_numpy(), method_re="dl")
    # statsmodels leaves a negative tau-squared untruncated; truncated at 0 it is the fixed-effect mean
    expected = ref.mean_effect_re if ref.tau2 > 0 else ref.mean_effect_fe
    assert row["estimate"] == pytest.approx(expected, rel=1e-9)


def test_pooling_with_fewer_than_two_informative_sites_is_blank():
    by_site = site_table([("a", "leadership_role", 0, 20, 0, 22), ("b", "leadership_role", 0, 15, 0, 14)])
    pooled = sites.meta_analysis(by_site)
    lor = pooled.set_index("measure").loc["odds_ratio"]
    assert math.isnan(lor["estimate"]) and lor["note"].startswith("not estimable")


def test_missing_age_keeps_the_age_p_value():
    rng = np.random.default_rng(3)
    people = pd.DataFrame(
        {
            "participant_id": [f"p{i}" for i in range(40)],
            "group": ["a"] * 20 + ["b"] * 20,
            "site": "one",
            "gender": rng.choice(["w", "m"], 40),
            "ethnicity": rng.choice(["x", "y"], 40),
            "age": rng.normal(23, 2, 40).round(),
            "previous_activism": rng.random(40) < 0.4,
        }
    )
    people.loc[3, "age"] = np.nan
    t1 = demographics.table1(people, Arms("a", "b"))
    results = tables.table1_results(t1)
    age_rows = t1[t1["variable"] == "age"]
    assert age_rows["p_value"].nunique() == 1 and not math.isnan(results["table1.age.p_value"])


def test_count_columns_with_gaps_format():
    frame = pd.DataFrame({"outcome": ["x", "y"], "n": [12.0, math.nan]})
    text = tables.frame_markdown("T", frame, {"outcome": ("Outcome", "text"), "n": ("n", "d")})
    assert "| x | 12 |" in text and "| y |  |" in text
