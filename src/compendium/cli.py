"""The ``compendium`` command: run the study's pipeline from data/raw/ to reports/, check it, measure it.

    compendium reproduce [--force] [--no-warm]  run the DVC pipeline safely
    compendium validate [RAW_DIR]               check data/raw against the data contract
    compendium synthesize --seed N --out D      write a synthetic data set (--design paper|independent)
    compendium run-notebook NB --params KEY...  execute a stage notebook with params.yaml's values (used by dvc.yaml)
    compendium collect-results OUT FRAG...      merge the stages' results into results.json
    compendium import-qdpx FILE --out DIR       turn a REFI-QDA .qdpx (or .qdc) into contract files
    compendium verify                           rerun everything in a fresh clone; compare with what is committed
    compendium bench                            time forced, edit-loop, scaled and fresh-clone runs; check targets
    compendium metadata                         codemeta.json and .zenodo.json from CITATION.cff and pyproject.toml
    compendium archive                          Data Packages, CodeMeta, Zenodo, CODECHECK (a pipeline stage)
    compendium ro-crate                         ro-crate-metadata.json of the last run (a pipeline stage)
    compendium datapackage [RAW_DIR]            write RAW_DIR/datapackage.json for stock `frictionless validate`
    compendium replicate DIR                    check a team's data folder and bring it into data/raw
    compendium plan                             freeze the analysis plan before the outcome data

Under ``compendium reproduce`` the stage commands are handed to a warm server that
has imported the libraries once (:mod:`compendium.pipeline.warm`); ``--no-warm`` starts every
stage from scratch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compendium import __version__


def _cmd_validate(args: argparse.Namespace) -> int:
    from compendium.core import config, paths
    from compendium.data.contract import load_study

    params = config.read_params()
    study = load_study(
        paths.resolve(args.raw_dir), config.arms_from(params), (params.get("qualitative") or {}).get("consensus_coder")
    )
    arms = study.flow["arms"]
    summary = ", ".join(f"{arm}: {c['consented']} consented of {c['enrolled']}" for arm, c in arms.items())
    print(f"{args.raw_dir}: valid ({summary}; {len(study.sources)} sources, {len(study.units)} units)")
    return 0


def _cmd_synthesize(args: argparse.Namespace) -> int:
    from compendium.synthesize import synthesize
    from compendium.synthesize.design import DEFAULT_SEED

    summary = synthesize(
        args.out,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        scale=args.scale,
        sites=args.sites,
        truth_dir=args.truth,
        design=args.design,
    )
    print(
        f"wrote synthetic data ({args.design} design) to {args.out}: {summary['learners']} learners, "
        f"{summary['sources']} sources"
    )
    return 0


def _cmd_run_notebook(args: argparse.Namespace) -> int:
    import os

    from compendium.core import config
    from compendium.core.stage import STAGE_ENV
    from compendium.pipeline.notebooks import parse_value, run

    os.environ[STAGE_ENV] = Path(args.notebook).stem  # the kernel knows the pipeline runs it (core.stage)
    # --params: the whole of params.yaml is checked against the schema before the stage starts
    params = config.notebook_parameters(args.params) if args.params else {}
    params |= {key: parse_value(value) for key, value in (args.parameter or [])}
    unknown = set(args.private or []) - set(params)
    if unknown:
        raise ValueError(f"--private names {sorted(unknown)}, which neither --params nor -p gives")
    run(args.notebook, params, args.output, private=args.private)
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from compendium.core import paths
    from compendium.core.io import collect_results

    merged = collect_results([paths.resolve(f) for f in args.fragments], paths.resolve(args.out))
    print(f"{args.out}: {len(merged)} values")
    return 0


def _cmd_import_qdpx(args: argparse.Namespace) -> int:
    from compendium.qualitative.qdpx import Limits, QdaError, check_out_dir, read_qdpx, summary_text, write_contract

    mb = 1024 * 1024
    check_out_dir(args.out)
    limits = Limits.from_env(
        max_members=args.max_members,
        max_units=args.max_units,
        max_rows=args.max_rows,
        **{
            name: int(value * mb) if value is not None else None
            for name, value in (
                ("max_member_bytes", args.max_member_mb),
                ("max_qde_bytes", args.max_qde_mb),
                ("max_total_bytes", args.max_total_mb),
            )
        },
    )
    try:
        imported = read_qdpx(args.file, offsets=args.offsets, limits=limits)
    except (QdaError, MemoryError, RecursionError) as exc:
        raise QdaError(
            str(exc)
            if isinstance(exc, QdaError)
            else f"{args.file.name}: too large or too deeply nested to import ({type(exc).__name__})"
        ) from None
    print(summary_text(imported.summary))
    if imported.problems and not args.keep_going:
        print(
            f"error: {args.file.name}: {imported.summary.get('not_placed', 0)} coding(s) could not be placed and "
            f"{imported.summary.get('unreadable_sources', 0)} source(s) could not be read (see above); nothing "
            "was written. Fix the export, or rerun with --keep-going to write what could be placed.",
            file=sys.stderr,
        )
        return 1
    write_contract(imported, args.out)
    n_codes = sum(len(t["codes"]) for t in imported.codebook)
    coders = ", ".join(sorted(imported.rows)) or "none"
    print(
        f"{args.out}: {len(imported.sources)} source(s), {n_codes} code(s) in {len(imported.codebook)} theme(s), "
        f"coders: {coders}; summary in {args.out / 'import-summary.json'}"
    )
    return 0


def _cmd_render_manuscript(args: argparse.Namespace) -> int:
    from compendium.checks import typesetting
    from compendium.core import io, paths
    from compendium.data import validated
    from compendium.reporting import manuscript

    study = validated.read_study()
    results = io.read_json(paths.reports_dir() / "results.json")
    template = paths.resolve(args.template)
    folder = template.parent
    context = manuscript.context(study, paths.tables_dir(), results)
    out = manuscript.build(template, results, context, {})
    problems = typesetting.check_manuscript(out["md"], out["pdf"], out["docx"])
    if problems:
        print("error: the manuscript is badly typeset:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    written = manuscript.build_checklists(folder / "checklists", results, paths.reports_dir() / "checklists", context)
    print(f"reports/manuscript.{{md,html,docx,pdf}} and {len(written)} checklist(s) written")
    return 0


def _cmd_build_site(args: argparse.Namespace) -> int:
    from compendium.reporting import site

    site.build()
    print("reports/index.html and the notebooks' HTML pages written")
    return 0


def _cmd_provenance(args: argparse.Namespace) -> int:
    from compendium.checks.provenance import collect
    from compendium.core import config, paths
    from compendium.core.io import write_json

    config.read_params()  # a stage of its own under plain dvc repro: params.yaml checked here too
    write_json(paths.resolve(args.out), collect())
    print(f"{args.out}: written")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from compendium.pipeline.bench import run, table

    report = run(scale=args.scale)
    print(table(report))
    print("bench/latest.json written")
    return 0 if all(report["targets_met"].values()) else 1


def _cmd_metadata(args: argparse.Namespace) -> int:
    from compendium.checks.archive import write_metadata

    written = write_metadata()
    print(", ".join(p.name for p in written) + ": written from CITATION.cff and pyproject.toml")
    return 0


def _cmd_archive(args: argparse.Namespace) -> int:
    from compendium.checks.archive import write_archive
    from compendium.core import paths

    written = write_archive(raw_dir=args.raw_dir)
    print(", ".join(paths.relative(p) for p in written) + ": written")
    return 0


def _cmd_ro_crate(args: argparse.Namespace) -> int:
    from compendium.checks.archive import write_crate

    print(f"{write_crate().name}: written")
    return 0


def _cmd_datapackage(args: argparse.Namespace) -> int:
    from compendium.checks.archive import write_raw_package
    from compendium.core import paths

    out = write_raw_package(args.raw_dir, args.out)
    inside = out.resolve().is_relative_to(paths.project_root())
    shown = paths.relative(out) if inside else str(out)
    print(f"{shown}: written; check the folder with `frictionless validate {shown}`")
    return 0


def _git(root: Path, *args: str) -> str | None:
    """``git <args>`` in ``root``: its output, or None when git or the repository is missing."""
    import subprocess

    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _cmd_replicate(args: argparse.Namespace) -> int:
    import shutil

    import yaml

    from compendium.checks import replication
    from compendium.core import config, paths
    from compendium.data.contract import load_study

    source = Path(args.dir)
    if not source.is_dir():
        raise FileNotFoundError(f"{args.dir}: no such folder (expected a team's data folder, docs/data-dictionary.md)")
    params = config.load_params()
    root = paths.project_root()
    raw = paths.resolve((params.get("data") or {}).get("raw_dir") or "data/raw")
    if source.resolve() == raw.resolve():
        raise ValueError(f"{args.dir} is the project's raw-data folder already; check it with `compendium validate`")
    given = config.given_arms(args.control, args.intervention) if (args.control or args.intervention) else None
    if (args.control is None) != (args.intervention is None):
        raise ValueError("--control and --intervention go together: give both arm labels or neither")
    arms = given or config.arms_from(params)
    coder = (params.get("qualitative") or {}).get("consensus_coder") or None
    study = load_study(source, arms, coder)  # every violation of the contract at once (DataContractError)
    truth = str((study.dataset or {}).get("truth_file") or "")
    if truth and not (root / truth).is_file():
        raise ValueError(
            f"{args.dir}/dataset.yaml: truth_file {truth!r} (a generator's planted identifiers, project-relative) "
            "does not exist in this project; copy that file there or remove the truth_file key"
        )

    shown = paths.relative(raw)
    changed = _git(root, "status", "--porcelain", "--untracked-files=all", "--", shown)
    if changed is None and raw.exists() and any(raw.iterdir()) and not args.force:
        raise ValueError(
            f"{shown} is not under git, so its changes cannot be checked; rerun with --force to replace it"
        )
    if changed and not args.force:
        listed = "\n".join(f"  {line}" for line in changed.splitlines()[:20])
        raise ValueError(
            f"{shown} has uncommitted changes; commit or discard them, or rerun with --force to replace them:\n{listed}"
        )
    if raw.exists():
        shutil.rmtree(raw)
    shutil.copytree(source, raw)  # the team's files, byte for byte

    described = raw / "dataset.yaml"
    if described.is_file():
        dataset = yaml.safe_load(described.read_text(encoding="utf-8-sig")) or {}
        missing = replication.missing_metadata(dataset)
        written = "kept as the team wrote it"
    else:
        values: dict = {}
        if args.title:
            values["title"] = args.title
        authors = []
        for text in args.author or []:
            name, _, affiliation = (part.strip() for part in text.partition(";"))
            authors.append({"name": name} | ({"affiliation": affiliation} if affiliation else {}))
        if authors:
            values["authors"] = authors
        for key in ("setting", "period"):
            if getattr(args, key):
                values[key] = getattr(args, key)
        if given:
            values["arms"] = {"control": given.control, "intervention": given.intervention}
        missing = replication.missing_metadata(values)
        described.write_text(replication.dataset_yaml(values, missing), encoding="utf-8")
        written = "written"
    print(
        f"{args.dir}: valid; copied to {shown}/ byte for byte ({len(study.sources)} sources, {len(study.units)} units)"
    )
    print(f"{shown}/dataset.yaml: {written}; to be completed: {'; '.join(missing) or 'nothing'}")
    if given and described.is_file() and written != "written":
        print(
            f"note: the arm labels {given.control!r}, {given.intervention!r} were given on the command line; "
            "set them in params.yaml arms or dataset.yaml arms for the pipeline to use them"
        )
    arms_source = (
        "command line"
        if given
        else "params.yaml arms"
        if config.arms_from(params)
        else "dataset.yaml arms"
        if study.dataset.get("arms")
        else "the contract's default"
    )
    print("Settings to review (params.yaml; data/raw/dataset.yaml):")
    for line in replication.settings_to_review(study, params, arms_source):
        print(f"  - {line}")
    print("Next: `make reproduce` (then reports/replication.md judges each claim of the original study).")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    import json

    import pandas as pd

    from compendium.checks import replication
    from compendium.core import config, paths
    from compendium.core.io import write_text
    from compendium.quantitative.outcomes import check_primary

    params = config.load_params()
    check_primary(str((params.get("outcomes") or {}).get("primary", "")))
    root = paths.project_root()
    out_json, out_md = paths.reports_dir() / "analysis-plan.json", paths.reports_dir() / "analysis-plan.md"
    if out_json.is_file() and not args.force:
        old = json.loads(out_json.read_text(encoding="utf-8")).get("sha256", "?")
        raise ValueError(
            f"{paths.relative(out_json)}: a plan is already frozen (sha256 {old}); replacing it is a departure "
            "from it: rerun with --force if that is what you mean, and say why in the commit"
        )
    raw = paths.resolve((params.get("data") or {}).get("raw_dir") or "data/raw")
    survey_path = raw / "survey.csv"
    survey = (
        pd.read_csv(survey_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if survey_path.is_file()
        else None
    )
    state = replication.outcome_data_state(survey) | {"raw_dir": paths.relative(raw)}
    commit = _git(root, "rev-parse", "HEAD")
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    plan = replication.make_plan(params, commit, dirty, __version__, state)
    write_text(out_json, json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    write_text(out_md, replication.plan_markdown(plan))
    params_file = paths.resolve("params.yaml")
    params_file.write_text(
        replication.set_plan_hash(params_file.read_text(encoding="utf-8"), plan["sha256"]), encoding="utf-8"
    )
    print(f"{paths.relative(out_json)}, {paths.relative(out_md)}: analysis plan frozen, sha256 {plan['sha256']}")
    print(
        f"  primary outcome {plan['primary_outcome']}; code {commit or 'not under git'}"
        f"{' (uncommitted changes)' if dirty else ''}, compendium {__version__}"
    )
    print(
        "  params.yaml replication.plan_sha256 records it; commit both now: "
        "git add reports/analysis-plan.json reports/analysis-plan.md params.yaml"
    )
    if not state["before_outcomes"]:
        print(
            f"warning: {paths.relative(survey_path)} already holds {state['post_rows_answered']} answered post-wave "
            "row(s): this plan is not frozen before the outcome data, and says so",
            file=sys.stderr,
        )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from compendium.pipeline.reproduce import verify

    return verify()


def _cmd_consortium(args: argparse.Namespace) -> int:
    from compendium.core import config
    from compendium.pipeline.consortium import ConsortiumError, run

    params = config.load_params()
    section = params.get("consortium") or {}
    listed = args.site or section.get("sites") or None
    try:
        out = run(
            jobs=args.jobs,
            sequential=args.sequential,
            until="" if args.all_stages else args.until,
            listed=listed,
            collect_only=args.collect_only,
        )
    except ConsortiumError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"consortium: pooled report in {out.as_posix()}/consortium.md")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from compendium.pipeline.reproduce import reproduce

    return reproduce(force=args.force, targets=args.targets, warm=not args.no_warm)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compendium",
        description=__doc__.split("\n")[0].replace("The ``compendium`` command: r", "R"),
        epilog="commands:\n"
        + __doc__.split("\n\n")[1]
        + "\n\nRun `compendium COMMAND --help` for a command's arguments.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"compendium {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a raw-data folder against the data contract")
    p.add_argument("raw_dir", nargs="?", default="data/raw", help="the folder to check (default data/raw)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("synthesize", help="write a seeded synthetic data set")
    p.add_argument(
        "--design",
        choices=("paper", "independent"),
        default="paper",
        help="paper: the shipped twin of the published study; independent: a second study that "
        "shares nothing with it but the data contract",
    )
    p.add_argument("--seed", type=int, default=None, help="the generator's seed (default: the shipped data's)")
    p.add_argument("--scale", type=int, default=1, help="multiply learners and sources by K (paper design)")
    p.add_argument("--sites", type=int, default=1, help="spread learners over S sites (paper design)")
    p.add_argument("--out", type=Path, required=True, help="the raw-data folder to write")
    p.add_argument(
        "--truth",
        type=Path,
        default=None,
        help="also write what the generator knows (planted identifiers, true codes) here",
    )
    p.set_defaults(func=_cmd_synthesize)

    p = sub.add_parser("run-notebook", help="execute a stage notebook with papermill")
    p.add_argument("notebook", help="the source notebook (notebooks/NN-name.ipynb)")
    p.add_argument(
        "--params",
        nargs="+",
        action="extend",
        metavar="KEY",
        help="pass these params.yaml keys or whole sections (outcomes.ci_level, effects), checked against "
        "the schema, each under the last part of its name (ci_level); as the stage lists them in dvc.yaml",
    )
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("KEY", "VALUE"),
        help="pass one value by hand (numbers and true/false typed, the rest text); overrides --params",
    )
    p.add_argument("-o", "--output", default=None, help="executed copy (default reports/notebooks/<name>)")
    p.add_argument(
        "--private",
        action="append",
        metavar="KEY",
        help="a parameter whose value is passed to the notebook but withheld from the executed copy",
    )
    p.set_defaults(func=_cmd_run_notebook)

    p = sub.add_parser("collect-results", help="merge result fragments into results.json")
    p.add_argument("out", help="the results.json to write")
    p.add_argument("fragments", nargs="+", help="the stages' result fragments (JSON)")
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("import-qdpx", help="turn a REFI-QDA project (.qdpx) or codebook (.qdc) into contract files")
    p.add_argument("file", type=Path, help="the .qdpx project or .qdc codebook")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for sources/, codebook.yaml and coding/ (must be empty or absent)",
    )
    p.add_argument(
        "--offsets",
        choices=("codepoints", "utf16"),
        default=None,
        help="how the export counts positions: codepoints (REFI-QDA) or utf16 (NVivo); "
        "default: detected from the project's origin and its texts",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="write what could be placed even when some codings could not be (they are listed)",
    )
    p.add_argument("--max-member-mb", type=float, default=None, help="largest source text read (default 32)")
    p.add_argument("--max-qde-mb", type=float, default=None, help="largest project.qde read (default 64)")
    p.add_argument("--max-total-mb", type=float, default=None, help="most source text read in all (default 64)")
    p.add_argument("--max-members", type=int, default=None, help="most entries in the archive (default 20000)")
    p.add_argument("--max-units", type=int, default=None, help="most units in all sources (default 1000000)")
    p.add_argument("--max-rows", type=int, default=None, help="most coding rows (default 2000000)")
    p.set_defaults(func=_cmd_import_qdpx)

    p = sub.add_parser("render-manuscript", help="render the manuscript (HTML, DOCX, PDF) and the checklists")
    p.add_argument(
        "template", nargs="?", default="manuscript/manuscript.md.j2", help="the Jinja template (default %(default)s)"
    )
    p.set_defaults(func=_cmd_render_manuscript)

    p = sub.add_parser("build-site", help="write reports/index.html and the notebooks as HTML")
    p.set_defaults(func=_cmd_build_site)

    p = sub.add_parser("provenance", help="record the commit, inputs, params and environment of this run")
    p.add_argument("out", help="the JSON file to write")
    p.set_defaults(func=_cmd_provenance)

    p = sub.add_parser(
        "bench",
        help="time forced, no-op, incremental and edit-loop runs, a 100x run and a fresh clone; check the targets",
        description="Measure the pipeline in scratch copies and write bench/latest.json; exits 1, naming each "
        "target missed (forced run <= 2x the in-process floor, manuscript edit <= 1/5 of a forced run, only the "
        "stages that use an edited file rerun, peak memory of a full run on scaled data <= 2 GiB). Takes minutes.",
    )
    p.add_argument("--scale", type=int, default=100, help="the generator's --scale for the large run (default 100)")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("metadata", help="write codemeta.json and .zenodo.json from CITATION.cff and pyproject.toml")
    p.set_defaults(func=_cmd_metadata)

    p = sub.add_parser("archive", help="write the Data Packages, CodeMeta, Zenodo and CODECHECK files (a stage)")
    p.add_argument("raw_dir", nargs="?", default="data/raw", help="the raw-data folder described (default data/raw)")
    p.set_defaults(func=_cmd_archive)

    p = sub.add_parser("ro-crate", help="write ro-crate-metadata.json, the provenance of the last run (a stage)")
    p.set_defaults(func=_cmd_ro_crate)

    p = sub.add_parser(
        "datapackage", help="write a raw-data folder's Data Package into it, for `frictionless validate`"
    )
    p.add_argument("raw_dir", nargs="?", default="data/raw", help="the raw-data folder (default data/raw)")
    p.add_argument("--out", type=Path, default=None, help="where to write it (default RAW_DIR/datapackage.json)")
    p.set_defaults(func=_cmd_datapackage)

    p = sub.add_parser("replicate", help="check a team's data folder against the contract and bring it into data/raw")
    p.add_argument("dir", help="the team's data folder (docs/data-dictionary.md)")
    p.add_argument("--force", action="store_true", help="replace data/raw even when it has uncommitted changes")
    p.add_argument("--control", default=None, help="the control arm's label in participants.csv (with --intervention)")
    p.add_argument("--intervention", default=None, help="the intervention arm's label")
    p.add_argument("--title", default=None, help="the study's title (for a dataset.yaml written here)")
    p.add_argument(
        "--author", action="append", metavar="NAME;AFFILIATION", help="an author and affiliation (repeat for each)"
    )
    p.add_argument("--setting", default=None, help="where the study took place")
    p.add_argument("--period", default=None, help="when the data were collected")
    p.set_defaults(func=_cmd_replicate)

    p = sub.add_parser(
        "plan", help="freeze the analysis plan (parameters, code version, primary outcome) before the outcome data"
    )
    p.add_argument("--force", action="store_true", help="replace a plan frozen earlier (a departure from it)")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("verify", help="force a full rerun in a fresh clone; compare reports/ and the published claims")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser(
        "consortium",
        help="run every site folder (data/sites/*/) as its own pipeline (DVC experiments) and pool them",
        description="Each site folder runs the whole analysis as a DVC experiment (`dvc exp run --queue`, "
        "`dvc queue start -j N`); each site's Table 2 is pooled across sites by random effects into "
        "reports/consortium/. Site folders must be known to git (committed or `git add`-ed).",
    )
    p.add_argument("--jobs", "-j", type=int, default=2, help="parallel DVC queue workers (default 2)")
    p.add_argument("--sequential", action="store_true", help="one site after the other (dvc exp run --temp)")
    p.add_argument("--site", action="append", help="a site folder (repeat); default: consortium.sites or data/sites/*/")
    p.add_argument("--until", default="02-tabulate-outcomes", help="the last stage each site runs (default: Table 2)")
    p.add_argument("--all-stages", action="store_true", help="run every stage at each site (manuscript included)")
    p.add_argument(
        "--collect-only", action="store_true", help="pool the sites' experiments already on this commit; run nothing"
    )
    p.set_defaults(func=_cmd_consortium)

    p = sub.add_parser("reproduce", help="run the pipeline; on failure restore reports/ as it was")
    p.add_argument("--force", action="store_true", help="rerun every stage")
    p.add_argument(
        "--no-warm",
        action="store_true",
        help="start every stage and kernel from scratch (no warm server; same results, slower)",
    )
    p.add_argument("targets", nargs="*", help="only these stages (and what they need); default every stage")
    p.set_defaults(func=_cmd_reproduce)
    return parser


LOCAL_ONLY = {"reproduce", "verify", "bench", "synthesize", "replicate", "plan"}  # never handed to the warm server


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] and sys.argv[1] not in LOCAL_ONLY:
        from compendium.pipeline.warm import delegate

        status = delegate("cli", sys.argv[1:])  # a stage under `compendium reproduce`
        if status is not None:
            return status
    from compendium.core import environment
    from compendium.pipeline.notebooks import StageFailed

    environment.apply()  # fixed dates in DOCX, PDF, ZIP and figures; one thread; no analytics
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        # the data contract (and pandas with it) is imported only by the commands that
        # read data: an error of that kind can come only once it has been
        contract = sys.modules.get("compendium.data.contract")
        if contract is not None and isinstance(exc, contract.DataContractError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, StageFailed | ValueError | FileNotFoundError | OSError):  # ManuscriptError: a ValueError
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
