"""Seeded generator of the synthetic study data (``compendium synthesize``).

It writes a complete ``data/raw/`` that follows the data contract: learners whose
baseline characteristics and item-level survey answers reproduce the paper's
Tables 1 and 2 exactly (at ``scale=1``), interview, focus-group and document
sources whose text carries the paper's themes and invented personal details, a
codebook, two coders' codings with realistic disagreement, and a consensus coding.

Beside the contract's files it writes the *truth* that only a generator can know
(``truth_dir``): every personal detail it planted and the codes each unit really
carries. Tests score de-identification and agreement against it.

The output is a pure function of ``(seed, scale, sites)``: the same arguments give
the same bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import design as _design
from . import textbank
from .design import truth_file
from .qualitative import build_sources
from .quantitative import build_learners

__all__ = ["DESIGNS", "synthesize"]

DESIGNS = ("paper", "independent")

# What the paper design's dataset.yaml says about the study beyond the generator's
# arguments (see the agreed keys in docs/data-dictionary.md).
PAPER_TITLE = (
    "Medical learners' anti-racist activism: a synthetic demonstration data set modelled on the "
    "published study (SYNTHETIC)"
)
PAPER_LINKS = [
    {"code": "leadership_development", "outcome": "leadership_role", "direction": "same"},
    {"code": "mentorship_support_needs", "outcome": "perceived_support", "direction": "inverse"},
    {"code": "curriculum_advocacy", "outcome": "active_participation", "direction": "same"},
    {"code": "petitions_town_halls", "outcome": "active_participation", "direction": "same"},
    {"code": "personal_discrimination", "outcome": "increased_cultural_competence", "direction": "same"},
]
PAPER_CONSENSUS_CODER = "coder_a"


def synthesize(
    out_dir: str | Path,
    *,
    seed: int = _design.DEFAULT_SEED,
    scale: int = 1,
    sites: int = 1,
    truth_dir: str | Path | None = None,
    design: str = "paper",
) -> dict:
    """Write a synthetic ``data/raw/`` to ``out_dir`` and return a summary.

    Parameters
    ----------
    out_dir : path
        The raw-data folder to write.
    seed : int
        Seeds everything; the same arguments give the same bytes.
    scale, sites : int
        Paper design only: multiply learners and sources by ``scale``; spread the
        learners over ``sites`` sites.
    truth_dir : path, optional
        Also write what only the generator knows (planted identifiers, true codes).
        ``dataset.yaml`` then names the truth file as ``data/<path relative to the
        raw folder's parent>``, i.e. project-relative when the raw folder is
        ``<root>/data/raw``.
    design : {"paper", "independent"}
        ``paper``: the shipped twin of the published study (Tables 1 and 2 exactly).
        ``independent``: a second study sharing nothing with it but the data contract
        (:func:`compendium.synthesize.independent.synthesize_independent`).
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, found {design!r}")
    if design == "independent":
        if scale != 1 or sites != 1:
            raise ValueError(
                "scale and sites apply to the paper design only; the independent design "
                "always has three sites and 34 to 60 learners"
            )
        from .independent import synthesize_independent

        summary = synthesize_independent(out_dir, seed=seed, truth_dir=truth_dir)
    else:
        summary = _synthesize_paper(out_dir, seed=seed, scale=scale, sites=sites, truth_dir=truth_dir)
    _describe(Path(out_dir))
    return summary


def _describe(out: Path) -> None:
    """The folder's Frictionless Data Package (``datapackage.json``), from the same rules
    the validator enforces, so that stock ``frictionless validate`` checks it too."""
    from compendium.data.package import dumps, raw_package

    (out / "datapackage.json").write_text(dumps(raw_package(out)), encoding="utf-8")


def _synthesize_paper(out_dir: str | Path, *, seed: int, scale: int, sites: int, truth_dir: str | Path | None) -> dict:
    if scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, found {scale}")
    if sites < 1:
        raise ValueError(f"sites must be a whole number of at least 1, found {sites}")
    rng = np.random.default_rng(seed)
    participants, survey, learners = build_learners(rng, scale=scale, sites=sites)
    qual = build_sources(rng, learners, scale=scale)

    out = Path(out_dir)
    for name in ("sources", "coding"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    _csv(participants, out / "participants.csv")
    _csv(survey, out / "survey.csv")
    (out / "sources").mkdir()
    for source_id, text in qual.sources.items():
        _text(out / "sources" / f"{source_id}.md", text)
    _text(
        out / "codebook.yaml",
        yaml.safe_dump({"themes": textbank.CODEBOOK}, sort_keys=False, allow_unicode=True, width=100),
    )
    (out / "coding").mkdir()
    for coder, frame in qual.codings.items():
        _csv(frame, out / "coding" / f"{coder}.csv")
    info = {
        "synthetic": True,
        "generator": "compendium synthesize",
        "design": "paper",
        "seed": int(seed),
        "scale": int(scale),
        "sites": int(sites),
    }
    if truth_dir is not None:
        info["truth_file"] = truth_file(out, Path(truth_dir))
    info.update(
        {
            "title": PAPER_TITLE,
            "consensus_coder": PAPER_CONSENSUS_CODER,
            "integration": {"links": [dict(link) for link in PAPER_LINKS]},
            "deidentify": {"places": list(textbank.INSTITUTIONS)},
            "items": {c: w for c, w in _design.ITEM_WORDING.items() if c in survey.columns},
        }
    )
    _text(out / "dataset.yaml", yaml.safe_dump(info, sort_keys=False, allow_unicode=True, width=100))
    _text(out / "README.md", _readme(info, participants, qual))

    if truth_dir is not None:
        truth = Path(truth_dir)
        truth.mkdir(parents=True, exist_ok=True)
        _csv(qual.planted, truth / "planted_identifiers.csv")
        _csv(qual.true_codes, truth / "true_codes.csv")
        _text(truth / "README.md", _truth_readme(info))
    return {
        "learners": int(len(participants)),
        "sources": int(len(qual.sources)),
        "planted_identifiers": int(len(qual.planted)),
    }


def _csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")


def _text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _readme(info: dict, participants: pd.DataFrame, qual) -> str:
    truth = " --truth data/synthetic" if "truth_file" in info else ""
    withdrawn = int((participants["consent"] == "withdrawn").sum())
    kinds = pd.Series([s.split("-")[0] for s in qual.sources]).value_counts().to_dict()
    return f"""# data/raw: SYNTHETIC study data

**These data are synthetic.** No real learner, transcript or document is in this
folder. They were written by the compendium's seeded generator:

    compendium synthesize --seed {info["seed"]} --scale {info["scale"]} --sites {info["sites"]} --out data/raw{truth}

and the same command gives back exactly these bytes (a test checks it).

The generator builds item-level survey answers whose derived outcomes reproduce the
published Tables 1 and 2 (two arms of 100 consented learners at scale 1), and
qualitative sources whose text carries the themes the paper reports. Names of people,
institutions, e-mail addresses, phone numbers, web addresses and handles in the
sources are invented, and planted on purpose so that de-identification has real work
to do.

Contents ({len(participants)} enrolled learners, {withdrawn} of whom withdrew consent;
{kinds.get("INT", 0)} interviews, {kinds.get("FG", 0)} focus groups, {kinds.get("DOC", 0)} documents):

- `participants.csv`, `survey.csv`: learners and their survey waves
- `sources/`: interviews, focus groups, documents and online posts
- `codebook.yaml`: themes and codes
- `coding/`: each coder's coding and the consensus coding
- `dataset.yaml`: marks the folder as synthetic, with the generator's arguments, and
  carries what is specific to this study (title, stand-in coder, joint-display links,
  places to redact, the truth file)

The format of every file is described in `docs/data-dictionary.md`. A replication
team replaces this folder with its own data in the same format.
"""


def _truth_readme(info: dict) -> str:
    return f"""# data/synthetic: what the generator knows

Synthetic, like `data/raw/` (seed {info["seed"]}, scale {info["scale"]}, sites {info["sites"]}).
These files are not part of the data contract. `data/raw/dataset.yaml` names
`planted_identifiers.csv` as its `truth_file`, against which de-identification scores
itself; tests use both files as the right answers.

- `planted_identifiers.csv`: every invented personal detail placed in a source
  (source, unit, kind, text), for scoring de-identification.
- `true_codes.csv`: the codes each unit was written to carry, from which the
  coders' codings were derived with code-dependent errors.
"""
