"""What the document says it is: never a re-analysis of a study's data when the data are synthetic."""

from compendium.reporting.manuscript import subtitle


def test_the_subtitle_names_synthetic_data_and_never_claims_a_reanalysis():
    twin = subtitle(True, True)
    assert "synthetic" in twin and "re-analysis" not in twin
    assert "synthetic" in subtitle(False, True)
    assert "synthetic" not in subtitle(False, False)


def test_the_methods_name_the_coding_the_analysis_rests_on():
    """A stand-in coder or a majority coding is never called a consensus coding."""
    from compendium.reporting.manuscript import Prose

    say = Prose({})
    assert "consensus coding, supplied" in say.coding_basis()
    say.consensus = "coder:rk"
    assert "No consensus coding was supplied" in say.coding_basis() and "stood in" in say.coding_basis()
    assert "consensus coding" not in say.coding_name().replace("for a consensus", "")
    say.consensus = "majority"
    assert "majority coding" in say.coding_basis() and say.coding_name() == "the majority coding"


def test_the_manuscript_points_to_its_supplementary_material():
    """An editor asks where the further tables and figures are: the declarations say it."""
    from compendium.reporting.manuscript import declarations

    for twin in (True, False):
        sections = dict(declarations({}, {}, twin=twin)["sections"])
        names = list(sections)
        assert names.index("Supplementary material") == names.index("Code availability") + 1
        assert "index page" in sections["Supplementary material"]
