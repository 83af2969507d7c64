"""What the document says it is: never a re-analysis of a study's data when the data are synthetic."""

from compendium.reporting.manuscript import subtitle


def test_the_subtitle_names_synthetic_data_and_never_claims_a_reanalysis():
    twin = subtitle(True, True)
    assert "synthetic" in twin and "re-analysis" not in twin
    assert "synthetic" in subtitle(False, True)
    assert "synthetic" not in subtitle(False, False)
