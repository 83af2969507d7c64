"""A Frictionless Data Package (v2) describing a raw-data folder.

Built from the rules :mod:`compendium.data.contract` enforces (its constants, not a
restatement), so that a team can run stock ``frictionless validate`` on its folder.
Reference: Data Package v2 (https://datapackage.org/).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from compendium.data import contract


def dumps(data) -> str:
    """JSON as every metadata file of the compendium writes it: two-space indent, UTF-8."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _case_variants(words) -> list[str]:
    """Every upper/lower-case spelling of each word (the contract reads yes/no values
    in any case): the ``trueValues``/``falseValues`` of a Table Schema boolean."""
    out: set[str] = set()
    for word in words:
        options = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in word]
        out.update("".join(p) for p in itertools.product(*options))
    return sorted(out)


def _any_case(words) -> str:
    """A regular expression matching any of ``words`` in any case (Table Schema
    ``pattern`` has no flags)."""
    alts = ["".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in w) for w in words]
    return "(?:" + "|".join(alts) + ")"


def _pattern(regex: re.Pattern) -> str:
    """A contract regex as a Table Schema pattern (implicitly anchored)."""
    return regex.pattern.removeprefix("^").removesuffix("$")


def _boolean(name: str, description: str) -> dict:
    return {
        "name": name,
        "type": "boolean",
        "description": description,
        "trueValues": _case_variants(contract.YES),
        "falseValues": _case_variants(contract.NO),
    }


def _participant_id(description: str, *, required: bool = True, unique: bool = False) -> dict:
    constraints: dict[str, object] = {"pattern": _pattern(contract.ID_PATTERN)}
    if required:
        constraints["required"] = True
    if unique:
        constraints["unique"] = True
    return {"name": "participant_id", "type": "string", "description": description, "constraints": constraints}


def _likert(name: str, what: str) -> dict:
    return {
        "name": name,
        "type": "integer",
        "description": f"{what} item, {contract.LIKERT[0]} to {contract.LIKERT[1]}",
        "constraints": {"minimum": contract.LIKERT[0], "maximum": contract.LIKERT[1]},
    }


def participants_schema(header: list[str], arms) -> dict:
    """Table Schema of ``participants.csv`` from the contract's rules. Columns the
    contract does not know are allowed (``fieldsMatch: subset``)."""
    fields = {
        "participant_id": _participant_id("the learner's study id", unique=True),
        "site": {
            "name": "site",
            "type": "string",
            "description": "where the learner was recruited",
            "constraints": {"required": True},
        },
        "group": {
            "name": "group",
            "type": "string",
            "description": "the arm",
            "constraints": {"required": True, "enum": list(arms.labels)},
        },
        "gender": {"name": "gender", "type": "string", "description": "self-described gender"},
        "ethnicity": {"name": "ethnicity", "type": "string", "description": "self-described ethnic group"},
        "age": {
            "name": "age",
            "type": "number",
            "description": "age in years",
            "constraints": {"minimum": contract.AGE_RANGE[0], "maximum": contract.AGE_RANGE[1]},
        },
        "previous_activism": _boolean("previous_activism", "took part in activism before enrolling"),
        "consent": {
            "name": "consent",
            "type": "string",
            "description": "consent status (any case)",
            "constraints": {"required": True, "pattern": _any_case(contract.CONSENT)},
        },
    }
    names = list(contract.PARTICIPANT_COLUMNS) + (["site"] if "site" in header else [])
    return {
        "fields": [fields[n] for n in sorted(names, key=_order(header))],
        "fieldsMatch": "subset",
        "missingValues": [""],
        "primaryKey": ["participant_id"],
    }


def _order(header: list[str]):
    position = {name: i for i, name in enumerate(header)}
    return lambda name: (position.get(name, len(header)), name)


def survey_schema(header: list[str]) -> dict:
    """Table Schema of ``survey.csv``: the required columns and the item columns the
    header holds (named by the contract's item patterns)."""
    items = [c for c in header if any(p.match(c) for p in contract.ITEM_PATTERN.values())]
    fields = {
        "participant_id": _participant_id("the learner (in participants.csv)"),
        "wave": {
            "name": "wave",
            "type": "string",
            "description": "which survey (any case)",
            "constraints": {"required": True, "pattern": _any_case(contract.WAVES)},
        },
        "participation": _boolean(
            "participation", "took an active part in an anti-racist initiative since the previous wave"
        ),
        "leadership": _boolean(
            "leadership", "held a leadership role in a social-change effort since the previous wave"
        ),
    }
    for col in items:
        kind = "cultural-competence" if contract.ITEM_PATTERN["cc"].match(col) else "perceived-support"
        fields[col] = _likert(col, kind)
    names = list(contract.SURVEY_COLUMNS) + items
    return {
        "fields": [fields[n] for n in sorted(names, key=_order(header))],
        "fieldsMatch": "subset",
        "missingValues": [""],
        "primaryKey": ["participant_id", "wave"],
        "foreignKeys": [
            {"fields": ["participant_id"], "reference": {"resource": "participants", "fields": ["participant_id"]}}
        ],
    }


def coding_schema(source_ids: list[str], codes: list[str]) -> dict:
    """Table Schema of one ``coding/<coder>.csv``: sources and codes that exist."""
    return {
        "fields": [
            {
                "name": "source_id",
                "type": "string",
                "description": "a source in sources/",
                "constraints": {"required": True, "enum": source_ids},
            },
            {
                "name": "unit",
                "type": "integer",
                "description": "a unit number of that source (from 1)",
                "constraints": {"required": True, "minimum": 1},
            },
            {
                "name": "code",
                "type": "string",
                "description": "a code id from codebook.yaml",
                "constraints": {"required": True, "enum": codes},
            },
        ],
        "fieldsMatch": "subset",
        "missingValues": [""],
    }


def raw_package(raw_dir: Path, arms=None, consensus_coder: str | None = None) -> dict:
    """A Data Package (v2) describing the contract's tables in ``raw_dir``.

    The folder is validated first (:func:`compendium.data.contract.load_study`): the
    descriptor is written only for data the contract accepts, and its constraints
    (id pattern, arm labels, age range, Likert range, yes/no spellings, waves, consent
    values, the codebook's code ids and the source ids) are read from the contract's
    constants and from the folder. Resource paths are relative to ``raw_dir``: the
    descriptor belongs inside the folder (``compendium datapackage --write``)."""
    raw_dir = Path(raw_dir)
    study = contract.load_study(raw_dir, arms, consensus_coder)
    codes = sorted(map(str, study.codebook["code"]))
    source_ids = sorted(p.stem for p in (raw_dir / "sources").glob("*.md"))
    resources = [
        {
            "name": "participants",
            "type": "table",
            "path": "participants.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": "everyone who enrolled, one row each",
            "schema": participants_schema(contract.read_header(raw_dir / "participants.csv"), study.arms),
        },
        {
            "name": "survey",
            "type": "table",
            "path": "survey.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": "one row per learner per survey wave",
            "schema": survey_schema(contract.read_header(raw_dir / "survey.csv")),
        },
    ]
    for path in sorted((raw_dir / "coding").glob("*.csv")):
        resources.append(
            {
                "name": "coding-" + re.sub(r"[^a-z0-9._-]", "-", path.stem.lower()),
                "type": "table",
                "path": f"coding/{path.name}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": "the agreed final coding"
                if path.stem == "consensus"
                else f"codes applied by coder {path.stem}",
                "schema": coding_schema(source_ids, codes),
            }
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "compendium-raw-data",
        "title": "The compendium's raw-data contract",
        "description": "The tables of a raw-data folder as the data contract (docs/data-dictionary.md) accepts "
        "them; generated by `compendium datapackage` from the rules of src/compendium/contract.py. "
        "Rules across files that a Table Schema cannot state (a unit must exist in its source, "
        "at most one row per learner and wave in any case) are checked by `compendium validate`.",
        "resources": resources,
    }
