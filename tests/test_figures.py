"""Figures at print size: the checker of saved SVGs (compendium.reporting.figure_check)
fails on figures made bad on purpose and passes on every figure the pipeline draws, for
the shipped study and for a study of the generator's independent design; figures are
byte-identical across renders; Likert charts carry the items' wording; a colour means
one group across the panels of themes_by_group; every figure has a caption.

The checker's reference for a text box is matplotlib's own layout of the same text
(``Text.get_window_extent`` on the drawn figure), an independent path from the SVG
parsing and font measuring the checker does.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from compendium.reporting import figure_check, figures


def _svg(fig, print_mm=None) -> bytes:
    svg, _ = figures.render(fig, print_mm)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return svg


def _blank(width=figures.SINGLE, height=1.5):
    fig, ax = figures._figure(width, height)
    ax.axis("off")
    return fig, ax


# --- the checker fails on bad figures -------------------------------------------------


def test_checker_fails_on_text_under_7_pt():
    fig, ax = _blank()
    ax.text(0.5, 0.5, "tiny", fontsize=5, ha="center")
    found = figure_check.problems(_svg(fig))
    assert any("'tiny' prints at 5.0 pt" in p for p in found), found


def test_checker_scales_text_to_the_print_width():
    """7 pt on a canvas twice as wide as its print width prints at 3.5 pt."""
    fig, ax = _blank(width=2 * figures.SINGLE)
    ax.text(0.5, 0.5, "seven", fontsize=7, ha="center")
    found = figure_check.problems(_svg(fig, print_mm=figures.SINGLE_MM))
    assert any("'seven' prints at 3.5 pt" in p for p in found), found


def test_checker_fails_on_overlapping_labels():
    fig, ax = _blank()
    ax.text(0.3, 0.5, "first label", fontsize=8)
    ax.text(0.35, 0.52, "second label", fontsize=8)
    found = figure_check.problems(_svg(fig))
    assert found == ["texts 'first label' and 'second label' overlap"], found


def test_checker_fails_on_clipped_text():
    import matplotlib.pyplot as plt

    figures.configure()
    fig = plt.figure(figsize=(figures.SINGLE, 1.5))
    fig.text(0.9, 0.5, "runs off the right edge", fontsize=8)
    fig.text(0.5, -0.02, "below the canvas", fontsize=8, va="top", ha="center")
    found = figure_check.problems(_svg(fig))
    assert "text 'runs off the right edge' reaches outside the canvas" in found
    assert "text 'below the canvas' reaches outside the canvas" in found


def test_checker_separates_rotated_labels_that_do_not_touch():
    """Two parallel rotated labels close together: their axis-aligned boxes overlap,
    their rotated boxes do not; a third label crossing one of them does overlap."""
    fig, ax = _blank(height=2.5)
    ax.text(0.3, 0.5, "a rotated label", rotation=60, fontsize=8, transform=fig.transFigure)
    ax.text(0.38, 0.5, "its neighbour", rotation=60, fontsize=8, transform=fig.transFigure)
    assert figure_check.problems(_svg(fig)) == []
    fig, ax = _blank(height=2.5)
    ax.text(0.3, 0.5, "a rotated label", rotation=60, fontsize=8, transform=fig.transFigure)
    ax.text(0.25, 0.65, "a crossing label", rotation=-30, fontsize=8, transform=fig.transFigure)
    assert len(figure_check.problems(_svg(fig))) == 1


def test_checker_boxes_agree_with_matplotlib_layout():
    """Reference: matplotlib's own window extent of each Text, in points on the canvas."""
    import matplotlib.pyplot as plt

    fig, ax = figures._figure(figures.DOUBLE, 2.0)
    words = [
        ax.text(0.1, 0.2, "left anchored", fontsize=7),
        ax.text(0.5, 0.5, "centred words", fontsize=9, ha="center"),
        ax.text(0.9, 0.8, "right end", fontsize=8, ha="right"),
    ]
    svg, _ = figures.render(fig)
    height = fig.get_figheight() * 72
    expected = {}
    for t in words:
        box = t.get_window_extent(fig.canvas.get_renderer())
        scale = 72 / fig.dpi
        expected[t.get_text()] = (box.x0 * scale, box.x1 * scale, height - box.y1 * scale, height - box.y0 * scale)
    plt.close(fig)
    _, _, _, boxes = figure_check.text_boxes(svg)
    for b in boxes:
        if b.text in expected:
            x0, y0, x1, y1 = b.bounds()
            ex0, ex1, ey0, ey1 = expected[b.text]
            assert abs(x0 - ex0) < 1.0 and abs(x1 - ex1) < 1.0, (b.text, (x0, x1), (ex0, ex1))
            assert ey0 - 1.0 <= y0 and y1 <= ey1 + 1.0, (b.text, (y0, y1), (ey0, ey1))


def test_save_refuses_a_bad_figure(tmp_path):
    fig, ax = _blank()
    ax.text(0.5, 0.5, "tiny", fontsize=5)
    with pytest.raises(figure_check.FigureCheckError, match=r"figure bad\.svg: fails the print check"):
        figures.save(fig, "bad", tmp_path)
    assert not list(tmp_path.iterdir())


# --- determinism --------------------------------------------------------------------


def _codebook(themes: int, codes_per_theme: int, long: bool = True) -> pd.DataFrame:
    rows = []
    for t in range(themes):
        for c in range(codes_per_theme):
            label = f"Code {t}.{c}" + (" about the long and winding road of institutional change" if long else "")
            rows.append(
                {
                    "code": f"c{t}_{c}",
                    "code_label": label,
                    "theme": f"t{t}",
                    "theme_label": f"Theme {t}: how learners navigate the hidden curriculum of placements",
                }
            )
    return pd.DataFrame(rows)


def _edges(codebook: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = list(codebook["code"])
    rows = [
        {"code_1": a, "code_2": b, "lift": float(rng.uniform(1, 4)), "linked": bool(rng.random() < 0.3)}
        for i, a in enumerate(codes)
        for b in codes[i + 1 :]
    ]
    return pd.DataFrame(rows)


def test_svg_and_png_are_byte_identical_across_renders():
    import matplotlib.pyplot as plt

    cb = _codebook(3, 3)
    arms = ("waitlist", "workshop")
    makers = [
        lambda: figures.framework(_edges(cb), cb),
        lambda: figures.themes_by_group(_freq(2, arms, ["interview", "document"]), arms),
        lambda: figures.likert_bars(_likert(["support_1", "support_2"]), "support", arms, "Support", {}),
    ]
    for make in makers:
        runs = []
        for _ in range(2):
            fig = make()
            runs.append(figures.render(fig))
            plt.close(fig)
        assert runs[0] == runs[1]
        svg = runs[0][0]
        assert b"<dc:date>" not in svg and b"print width 170 mm" in svg


# --- figure functions on the shapes other studies take -----------------------------------


@pytest.mark.parametrize(("themes", "per_theme"), [(1, 3), (2, 4), (4, 4), (4, 6)])
def test_framework_passes_with_1_to_4_themes_and_long_labels(themes, per_theme):
    from matplotlib.patches import FancyArrowPatch

    cb = _codebook(themes, per_theme)
    edges = _edges(cb, seed=themes)
    fig = figures.framework(edges, cb)
    assert not fig.findobj(FancyArrowPatch), "links are undirected: no arrows"
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "_link"]
    assert len(lines) == int(edges["linked"].sum()), "only links stronger than chance are drawn"
    assert figure_check.problems(_svg(fig)) == []


def _freq(themes: int, arms: tuple[str, str], sources: list[str]) -> pd.DataFrame:
    rows = []
    for t in range(themes):
        label = f"Theme {t}: how learners navigate the hidden curriculum"
        rows.append({"level": "theme", "id": f"t{t}", "label": label, "by": "all", "group": "all", "units": 10})
        for g in [*arms, "mixed"]:
            rows.append({"level": "theme", "id": f"t{t}", "label": label, "by": "arm", "group": g, "units": 3 + t})
        for g in sources:
            rows.append({"level": "theme", "id": f"t{t}", "label": label, "by": "source_type", "group": g, "units": 5})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("themes", [1, 2, 4])
def test_themes_by_group_passes_and_a_colour_means_one_group(themes):
    arms = ("waitlist", "workshop")
    sources = ["interview", "focus_group", "reflective_log", "open_letter"]
    fig = figures.themes_by_group(_freq(themes, arms, sources), arms)
    seen: dict[str, str] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            colour = tuple(np.round(handle.patches[0].get_facecolor(), 3))
            assert seen.setdefault(colour, label) == label, f"{colour} stands for {seen[colour]} and {label}"
    assert figures.group_colours({"arm": list(arms)}, arms)["workshop"] == figures.ARM_COLOURS["intervention"]
    assert figure_check.problems(_svg(fig)) == []


def _likert(items: list[str], arms=("waitlist", "workshop")) -> pd.DataFrame:
    rows = [
        {"scale": "support", "item": i, "wave": w, "arm": a, **{f"p{v}": 0.2 for v in range(1, 6)}}
        for i in items
        for w in ("pre", "post")
        for a in arms
    ]
    return pd.DataFrame(rows)


def test_likert_bars_use_the_item_wording_and_fall_back_to_the_column():
    items = ["support_1", "support_2", "support_3"]
    wording = {
        "support_1": "If I reported a racist remark made on placement, I trust that my university would follow it up",
        "support_2": "My personal tutor would support me",
    }
    fig = figures.likert_bars(_likert(items), "support", ("waitlist", "workshop"), "Support", wording)
    svg = _svg(fig, figures.DOUBLE_MM)
    text = " ".join(b.text for b in figure_check.text_boxes(svg)[3])
    assert "My personal tutor would support me" in text
    assert "support_3" in text and "support_1" not in text and "Answer" not in text
    assert figure_check.problems(svg) == []


def test_agreement_markers_are_dodged():
    irr = pd.DataFrame(
        {"code": ["a_code", "b_code", "ALL"], "cohen_kappa": [0.7, 0.5, 0.6], "krippendorff_alpha": [0.7, 0.5, 0.6]}
    )
    fig = figures.agreement_by_code(irr, 0.6)
    kappa, alpha = (c.get_offsets() for c in fig.axes[0].collections[:2])
    assert np.all(np.abs(kappa[:, 1] - alpha[:, 1]) >= 0.39)
    assert figure_check.problems(_svg(fig)) == []


# --- captions ----------------------------------------------------------------------------

STEMS = [
    "participant_flow",
    "outcome_proportions",
    "effects_forest",
    "likert_cultural_competence",
    "likert_support",
    "forest_sites_leadership_role",
    "agreement_by_code",
    "themes_by_group",
    "code_cooccurrence",
    "joint_display",
    "conceptual_framework",
]


def test_every_figure_has_a_caption_from_the_numbers():
    for stem in STEMS:
        text = figures.caption(stem, {})
        assert len(text) > 80 and not text.startswith("Figure "), stem
    context = {"params.ci_level": 0.9, "params.kappa_threshold": 0.7, "params.framework_alpha": 0.01}
    assert "90% Wilson" in figures.caption("outcome_proportions", context)
    assert "(0.7)" in figures.caption("agreement_by_code", context)
    assert "p below .01" in figures.caption("conceptual_framework", context)  # APA, as the manuscript prints p
    assert "Lines carry no direction" in figures.caption("conceptual_framework", context)


def test_the_framework_caption_says_how_many_pairs_were_drawn_and_when_none_was():
    """Rule: the caption counts the pairs that passed; with none it says the figure shows
    only the codes by theme, rather than leaving an empty circle unexplained."""
    none = figures.caption("conceptual_framework", {"framework.links": 0, "framework.pairs": 15})
    assert "none of the 15 pairs of codes passed the rule, so no line is drawn" in none
    assert "only the codes grouped by theme" in none
    some = figures.caption("conceptual_framework", {"framework.links": 3, "framework.pairs": 15})
    assert "Of the 15 pairs of codes, 3 passed the rule and are drawn." in some
    assert not re.search(r"\.\s+\d", some), "no sentence begins with a numeral"
    assert "pairs" not in figures.caption("conceptual_framework", {}).split("Lines carry")[1]


# --- item wording in the data contract ------------------------------------------------


def test_dataset_items_are_validated(raw_copy):
    from compendium.data.contract import DataContractError, load_study

    described = raw_copy / "dataset.yaml"
    data = yaml.safe_load(described.read_text())
    data["items"] = {"cc_1": "Fine wording", "q_7": "not an item", "support_1": ["a list"]}
    described.write_text(yaml.safe_dump(data))
    with pytest.raises(DataContractError) as err:
        load_study(raw_copy)
    message = str(err.value)
    assert "items.q_7" in message and "items.support_1" in message and "items.cc_1" not in message


@pytest.mark.parametrize("design", ["paper", "independent"])
def test_generator_writes_wording_for_every_item(tmp_path, design):
    from compendium.synthesize import synthesize

    synthesize(tmp_path / "raw", seed=7, design=design)
    items = yaml.safe_load((tmp_path / "raw" / "dataset.yaml").read_text())["items"]
    header = (tmp_path / "raw" / "survey.csv").read_text().splitlines()[0].split(",")
    assert sorted(items) == sorted(c for c in header if re.fullmatch(r"(cc|support)_\d+", c))


# --- every figure the pipeline draws --------------------------------------------------


def _check_all(project: Path) -> None:
    folder = project / "reports" / "figures"
    svgs = sorted(folder.glob("*.svg"))
    assert {p.stem for p in svgs} == {p.stem for p in folder.glob("*.png")}
    assert len(svgs) >= 10
    failures = {p.name: figure_check.problems(p) for p in svgs}
    assert not {k: v for k, v in failures.items() if v}, failures
    for p in svgs:
        assert re.search(rb"print width (84|170) mm", p.read_bytes()), p.name


@pytest.mark.e2e
@pytest.mark.pipeline
def test_every_figure_of_the_shipped_study_passes(shipped_run):
    _check_all(shipped_run)


@pytest.fixture(scope="module")
def independent_run(tmp_path_factory) -> Path:
    from scratch import make_project, reproduce, study_params

    from compendium.synthesize import synthesize

    base = tmp_path_factory.mktemp("independent-figures")
    raw, truth = base / "data" / "raw", base / "data" / "synthetic"
    synthesize(raw, seed=11, design="independent", truth_dir=truth)
    project = make_project(base / "compendium", raw, truth)
    params = project / "params.yaml"
    params.write_text(study_params(params.read_text()))
    return reproduce(project)


@pytest.mark.e2e
@pytest.mark.pipeline
def test_every_figure_of_an_independent_study_passes(independent_run):
    _check_all(independent_run)
    assert list((independent_run / "reports" / "figures").glob("forest_sites_*.svg")), "three sites are pooled"


def test_forest_fits_long_arm_labels_on_the_canvas():
    """Arm labels of another study's length ('standard_curriculum', 'advocacy_track')
    stop no figure: the forest's axis label wraps to the column and reads the labels
    with spaces, as the tables do."""
    adjusted = pd.DataFrame(
        {
            "outcome": ["increased_cultural_competence", "active_participation", "leadership_role"],
            **{c: [1.5, 0.8, 3.0] for c in ("odds_ratio", "adjusted_or", "mh_or")},
            **{c: [0.7, 0.3, 1.1] for c in ("or_ci_low", "adjusted_ci_low", "mh_ci_low")},
            **{c: [3.2, 2.1, 8.0] for c in ("or_ci_high", "adjusted_ci_high", "mh_ci_high")},
        }
    )
    arms = ("standard_curriculum_with_electives", "advocacy_track")
    svg = _svg(figures.effects_forest(adjusted, arms), figures.SINGLE_MM)
    assert figure_check.problems(svg) == []
    text = " ".join(b.text for b in figure_check.text_boxes(svg)[3])
    assert "advocacy track" in text and "standard_curriculum" not in text
    t2 = pd.DataFrame(
        {
            "outcome": ["leadership_role"],
            "control_events": [0],
            "control_n": [33],
            "intervention_events": [9],
            "intervention_n": [25],
        }
    )
    svg = _svg(figures.outcome_proportions(t2, arms), figures.SINGLE_MM)
    text = " ".join(b.text for b in figure_check.text_boxes(svg)[3])
    assert "advocacy track" in text and "advocacy_track" not in text
    assert figure_check.problems(svg) == []
    flow = pd.DataFrame(
        {
            "arm": list(arms),
            "allocated": [36, 28],
            "withdrew": [2, 3],
            "no_post_wave": [1, 0],
            "followed_up": [33, 25],
            **{f"analysed_{o}": [30, 24] for o in ("increased_cultural_competence", "leadership_role")},
        }
    )
    svg = _svg(figures.participant_flow(flow), figures.DOUBLE_MM)
    text = " ".join(b.text for b in figure_check.text_boxes(svg)[3])
    assert "Allocated to advocacy track" in text and "advocacy_track" not in text
