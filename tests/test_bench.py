"""`make bench`: the measurements it records and the targets it holds the pipeline to."""

from __future__ import annotations

import json

import pytest

from compendium.pipeline.bench import run, table

pytestmark = pytest.mark.pipeline


def test_bench_measures_every_key_and_meets_the_targets(shipped_project, tmp_path, monkeypatch):
    # on the shipped study (the bench's scaled data come from the same generator), whatever
    # data/raw holds; scale 2 instead of 100 keeps the test short; make bench runs the full scale
    monkeypatch.setenv("COMPENDIUM_ROOT", str(shipped_project))
    report = run(out=tmp_path / "latest.json", scale=2, without_warm=False)
    assert json.loads((tmp_path / "latest.json").read_text()) == report
    for key in (
        "cold_s",
        "floor_s",
        "cold_over_floor",
        "noop_s",
        "incremental_only_dependents",
        "incremental_stages",
        "scale_2x_over_1x",
        "scale_2x_peak_mib",
    ):
        assert key in report, key
    assert report["cold_over_floor"] == pytest.approx(report["cold_s"] / report["floor_s"])
    assert report["incremental_stages"][0] == "07-measure-agreement"
    assert not {"01-validate-data", "02-tabulate-outcomes", "08-analyse-themes"} & set(report["incremental_stages"])
    assert all(report["targets_met"].values()), table(report)
