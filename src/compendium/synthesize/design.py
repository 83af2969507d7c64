"""The design of the synthetic data set.

These are the marginal totals the generator builds the learners around: the
paper's Tables 1 and 2 per arm of 100 learners (the ethnic groups the paper did not
print fill the rest of each arm). The analysis never reads this module; it computes
everything from the files the generator writes.
"""

from __future__ import annotations

from pathlib import Path

ARM_SIZE = 100
WITHDRAWN_PER_ARM = 2  # extra enrolled learners who later withdraw consent

ARMS: dict[str, dict] = {
    "control": {
        "gender": {"Female": 50, "Male": 50},
        "ethnicity": {"White": 30, "Asian": 25, "Black": 18, "Arab": 14, "Mixed": 13},
        "age_mean": 27.4,
        "age_sd": 2.3,
        "previous_activism": 15,
        "events": {
            "increased_cultural_competence": 12,
            "active_participation": 20,
            "leadership_role": 5,
            "perceived_support": 30,
        },
    },
    "intervention": {
        "gender": {"Female": 55, "Male": 45},
        "ethnicity": {"White": 20, "Asian": 30, "Black": 21, "Arab": 16, "Mixed": 13},
        "age_mean": 26.8,
        "age_sd": 2.1,
        "previous_activism": 25,
        "events": {
            "increased_cultural_competence": 45,
            "active_participation": 70,
            "leadership_role": 40,
            "perceived_support": 75,
        },
    },
}

CC_ITEMS = 6
SUPPORT_ITEMS = 4
INTERVIEWS = 24
FOCUS_GROUPS = 4
FOCUS_GROUP_SIZE = 6
DOCUMENTS = 20
DOCUMENT_GENRES = ["petition", "social_media", "committee_minutes", "curriculum"]
DEFAULT_SEED = 20251026


def truth_file(out: Path, truth: Path) -> str:
    """The truth file's path as the pipeline sees it, relative to the project root,
    taking the raw folder to sit at ``<root>/data/<name>`` (so ``--out data/raw
    --truth data/synthetic`` gives ``data/synthetic/planted_identifiers.csv``)."""
    import os
    from pathlib import Path

    rel = os.path.relpath(Path(truth) / "planted_identifiers.csv", start=Path(out).parent)
    return (Path("data") / rel).as_posix()
