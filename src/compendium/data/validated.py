"""The validated study as the later stages read it, and what the data set says of itself.

The first stage validates ``data/raw/`` (:mod:`compendium.data.contract`) and writes
the result to ``data/interim/study/``; every later stage reads it back with
:func:`read_study` instead of parsing the raw files again.
"""

from __future__ import annotations

from pathlib import Path

from compendium.core import paths
from compendium.core.config import Arms
from compendium.core.io import read_interim, read_json, write_interim, write_json, write_private_json
from compendium.data.contract import Study

# ----------------------------------------------------------------- the data set


def is_paper_twin(dataset: dict) -> bool:
    """True only for the shipped synthetic study, the generator's twin of the paper
    (``synthetic: true`` and ``design`` absent or ``paper``): prose and checks written
    about the shipped study apply only to it."""
    return bool(dataset.get("synthetic")) and str(dataset.get("design") or "paper") == "paper"


def synthetic_note(info: dict) -> str:
    """The sentence that labels results computed from synthetic data ('' otherwise)."""
    if not info.get("synthetic"):
        return ""
    if not is_paper_twin(info):
        return (
            "Synthetic data: these results come from a data set written by the compendium's generator "
            f"(design {info.get('design')}, seed {info.get('seed')}); it is not the record of any real study."
        )
    return (
        "Synthetic data: these results come from the compendium's seeded synthetic data set "
        f"(generator `compendium synthesize`, seed {info.get('seed')}), made to reproduce the "
        "published tables; they are not the study's original records."
    )


# ----------------------------------------------------------------- the validated study

STUDY_DIR = "study"
_STUDY_TABLES = ("participants", "survey", "sources", "units", "codebook", "codings")


def write_study(study) -> Path:
    """Write the validated study (consent applied) to ``data/interim/study/``."""
    folder = paths.interim_dir() / STUDY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name in _STUDY_TABLES:
        write_interim(getattr(study, name), f"{STUDY_DIR}/{name}")
    write_json(
        folder / "meta.json",
        {
            "cc_items": study.cc_items,
            "support_items": study.support_items,
            "coders": study.coders,
            "flow": study.flow,
            "dataset": study.dataset,
            "consensus": study.consensus,
            "arms": {"control": study.arms.control, "intervention": study.arms.intervention},
        },
    )
    write_private_json({"withdrawn": study.withdrawn}, "withdrawn")
    return folder


def read_study():
    """The validated study written by the first stage."""
    folder = paths.interim_dir() / STUDY_DIR
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"{paths.relative(meta_path)} is missing: run the pipeline from its first stage (make reproduce)"
        )
    meta = read_json(meta_path)
    tables = {name: read_interim(f"{STUDY_DIR}/{name}") for name in _STUDY_TABLES}
    return Study(
        cc_items=meta["cc_items"],
        support_items=meta["support_items"],
        flow=meta["flow"],
        coders=meta["coders"],
        dataset=meta["dataset"],
        consensus=meta.get("consensus", "file"),
        arms=Arms(**meta["arms"]),
        **tables,
    )
