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
# The wording of the survey items, as dataset.yaml's ``items`` gives it to the figures.
# The paper names its two scales but not their items: these are invented, written for
# this synthetic twin, one statement per item, answered from 1 (lowest) to 5 (highest).
ITEM_WORDING = {
    "cc_1": "I can describe how racism shapes the health of the patients I see",
    "cc_2": "I feel prepared to care for patients whose cultural background differs from mine",
    "cc_3": "I notice my own biases when I make clinical decisions",
    "cc_4": "I can explain how the social conditions of health differ between communities",
    "cc_5": "I am at ease asking patients about their beliefs and practices",
    "cc_6": "I know how to respond when I witness racism in a clinical setting",
    "support_1": "My school makes it safe for learners to speak out against racism",
    "support_2": "Faculty at my school back learners who take part in anti-racist work",
    "support_3": "My school gives time and money to learner-led equity projects",
    "support_4": "When learners raise concerns about racism, my school acts on them",
}
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
