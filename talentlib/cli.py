"""The `talent` command: generate synthetic data, validate datasets, run the batch and the demo."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from talentlib.batch import RunResult


EPILOG = """\
examples:
  talent demo                                  # the batch on the small synthetic dataset: briefs for 12 fields
  talent run --fields BATT SEMI --workers 2    # pipelines/default.yaml for two fields
  talent run --resume                          # continue the last run with the same settings
  talent synth --scale national --out data/synthetic/national
  talent validate employment_spells data/synthetic/small/employment_spells.parquet
  talent validate participations my_export.csv --quarantine bad_rows.csv
  talent validate employment_spells ei_export.csv --mapping talentlib/data_contracts/intake/ei_employment_spells.yaml

Datasets are described by the contracts in talentlib/data_contracts/ (one YAML each); taxonomies by
talentlib/data_contracts/taxonomy/. Add --verbose to any command to see a full traceback on errors.
"""


class UserError(Exception):
    """An error the user can fix; printed as one sentence, no traceback."""


def _cmd_synth(args: argparse.Namespace) -> int:
    from talentlib import datasets

    out = Path(args.out) if args.out else datasets.default_folder(args.scale)
    res = datasets.generate_synthetic(args.scale, out, args.seed, progress=not args.quiet)
    if not args.quiet:
        print(f"합성 데이터 생성 완료: {out}  ({res.seconds:.1f}초)")
        for name, n in res.rows.items():
            print(f"  {name:<20} {n:>12,}행")
        print(f"  정답(truth): {out / 'truth.json'}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import codecs

    from talentlib import contracts, io

    path = Path(args.path)
    if not path.exists():
        raise UserError(f"file not found: {path} — check the path (talent validate DATASET PATH)")
    if args.dataset not in contracts.list_contracts():
        raise UserError(
            f"unknown dataset {args.dataset!r}; known: {', '.join(contracts.list_contracts())}"
        )
    if args.encoding is not None:
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise UserError(
                f"unknown encoding {args.encoding!r}; use e.g. utf-8, cp949 or euc-kr, or leave "
                "--encoding out to detect UTF-8 or CP949"
            ) from None
    intake_lines: list[str] = []
    if args.mapping:  # a real export: headers, labels and code vintages mapped first
        from talentlib import intake

        try:
            mapped = intake.read(path, args.mapping, dataset=args.dataset, encoding=args.encoding)
        except intake.MappingError as e:
            raise UserError(str(e)) from e
        assert mapped.validation is not None
        result, intake_lines = mapped.validation, mapped.report.lines()
    else:
        result = io.read_validated(path, args.dataset, encoding=args.encoding)
    # never beside the input: a folder given to read is not written (and a quarantine file
    # there would count as an input next time)
    q_path = (
        Path(args.quarantine)
        if args.quarantine
        else Path("outputs") / "quarantine" / f"{args.dataset}-{path.stem}.quarantine.csv"
    )
    print(f"{args.dataset}: {path}")
    print(f"  in {result.n_in:,} / valid {result.n_valid:,} / quarantined {result.n_quarantined:,}")
    for line in intake_lines:
        print(f"  {line}")
    if result.n_quarantined:
        by_rule = result.quarantine.group_by("rule").len().sort("len", descending=True)
        for rule, n in by_rule.iter_rows():
            print(f"    {rule:<16} {n:>10,}")
        io.write_quarantine(result, q_path)
        print(f"  quarantine written to {q_path}")
    for w in getattr(result, "warnings", []) or []:
        print(f"  warning: {w}")
    return 0


def _report_run(result: RunResult, quiet: bool) -> int:
    """One line for the run, one line per failed field (stderr); exit code 1 if any failed."""
    from talentlib import batch

    n, bad = len(result.statuses), result.failed
    print(
        f"실행 {result.run_dir.name}: 분야 {n}개 · 완료 {n - len(bad)} · 실패 {len(bad)} · "
        f"{result.seconds:.1f}초"
    )
    for line in batch.failure_lines(result):
        print(f"  {line}", file=sys.stderr)
    check = result.release_check or {}
    if check.get("withheld"):
        n = check["summary"]
        print(
            f"  공개 보류: 공개 묶음 점검 실패 (비공개 셀 {n['cells_suppressed']}개 중 {n['cells_fail']}개가 "
            f"좁은 구간으로 복원됨) — 공개하지 않고 {result.run_dir / batch.INTERNAL / batch.WITHHELD}에 "
            f"두었습니다. 셀별 결과: {result.run_dir / batch.INTERNAL / 'check' / 'check_report.md'}",
            file=sys.stderr,
        )
        return 1
    if not quiet:
        release = batch.release_dir(result.run_dir)
        print(f"  요약: {release / 'summary' / 'index.html'} (인쇄본 {batch.SUMMARY_PDF})")
        ok = [f for f, s in result.statuses.items() if s.get("status") == "ok"]
        if ok:
            more = f" 외 {len(ok) - 1}개" if len(ok) > 1 else ""
            print(f"  브리프: {release / ok[0] / 'brief.html'}{more} (PDF도 같은 폴더)")
    return 1 if bad else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from talentlib import batch

    try:
        pipeline = batch.load_pipeline(args.pipeline)
        plan = batch.prepare(
            pipeline,
            outputs=args.outputs,
            fields=args.fields,
            data=args.data,
            scale=args.scale,
            workers=args.workers,
            run_id=args.run_id,
            resume=args.resume,
            say=lambda s: print(s, file=sys.stderr),  # warnings, shown also under --quiet
        )
    except batch.PipelineError as e:
        raise UserError(str(e)) from e
    if not args.quiet:
        print(
            f"실행 {plan.run_id}: 분야 {len(plan.fields)}개 × 노트북 "
            f"{', '.join(nb['name'] for nb in plan.notebooks)} · 동시 {plan.workers}개 · "
            f"데이터 {plan.data['path']}"
        )
    try:
        result = batch.execute(plan, quiet=args.quiet)
    except batch.RunBusyError as e:
        raise UserError(str(e)) from e
    return _report_run(result, args.quiet)


def _cmd_demo(args: argparse.Namespace) -> int:
    from talentlib import datasets, demo

    data = Path(args.data) if args.data else datasets.default_folder("small")
    result = demo.run(
        data=data,
        outputs=Path(args.outputs),
        seed=args.seed,
        quiet=args.quiet,
        fields=args.fields,
        workers=args.workers,
    )
    return _report_run(result, args.quiet)


def _cmd_openalex_import(args: argparse.Namespace) -> int:
    from talentlib import openalex_import as oi

    try:
        res = oi.import_openalex(
            args.sources,
            args.out,
            fields=args.fields,
            years=args.years,
            batch_size=args.batch_size,
            progress=not args.quiet,
            say=lambda s: print(s, file=sys.stderr),
        )
    except oi.OpenAlexImportError as e:
        raise UserError(str(e)) from e
    t = res.totals
    if not args.quiet:
        oos = ", ".join(f"{k} {v:,}" for k, v in t["out_of_scope"].items() if v)
        print(
            f"OpenAlex 가져오기 완료: {res.out}  ({res.seconds:.1f}초; 파티션 {len(res.imported)}개 "
            f"가져옴, {len(res.skipped)}개 건너뜀, {len(res.failed)}개 실패)"
        )
        print(
            f"  입력 {t['in']:,} = 보관 {t['kept']:,} + 범위 밖 "
            f"{sum(t['out_of_scope'].values()):,} ({oos or '-'}) + 격리 {t['quarantined']:,}"
        )
        for f, v in t["by_field"].items():
            print(f"  {f:<6} {v['works']:>10,}편  평균 신뢰도 {v['mean_confidence']}")
        if not t["kept"]:
            print("  전략기술 논문이 하나도 없습니다 (주제·키워드가 50개 기술에 해당하지 않음).")
        print(f"  매니페스트: {res.out / oi.MANIFEST}")
    return 1 if res.failed else 0


def _cmd_taxonomy_suggest(args: argparse.Namespace) -> int:
    from talentlib.postings import suggest

    backend = None
    if args.llm:
        from talentlib.postings import llm

        backend = llm.get_backend(args.llm)
    try:
        entries = suggest.suggest_from_files(
            args.postings, llm=backend, cache_dir=args.cache_dir, min_postings=args.min_postings,
            top=args.top, quiet=args.quiet,
        )  # fmt: skip
    except FileNotFoundError as e:
        raise UserError(f"{e} — give posting files or folders (talent taxonomy suggest DIR)") from e
    out = suggest.write_suggestions(entries, args.out)
    if not args.quiet:
        n_new = sum(e["proposal"] == "new_code" for e in entries)
        print(
            f"택소노미 제안 {len(entries)}건 (새 코드 {n_new} · 기존 코드 동의어 {len(entries) - n_new}): "
            f"{out}"
        )
    return 0


def _year_range(text: str) -> tuple[int, int]:
    a, _, b = text.partition("-")
    try:
        return int(a), int(b or a)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YEAR or YEAR-YEAR") from None


def _cmd_check_release(args: argparse.Namespace) -> int:
    from talentlib import audit

    for d in [args.run_dir, *(args.previous or [])]:
        if not Path(d).is_dir():
            raise UserError(
                f"run folder not found: {d} — give outputs/<run_id> (or one field's folder)"
            )
    try:
        result = audit.check_release(
            args.run_dir,
            previous=args.previous or (),
            protection=args.protection,
            out=args.out,
            exact=not args.verdicts_only,
        )
    except FileNotFoundError as e:
        raise UserError(str(e)) from e
    n = result.counts()
    print(
        f"공개 묶음 점검 {audit.STATUS_KO[result.status]}: 표 {n['tables']}개 · 비공개 셀 "
        f"{n['cells_suppressed']}개 · 실패 {n['cells_fail']}개 (정확히 복원 {n['cells_fail_exact']}) · "
        f"검토 {n['cells_review']}개"
    )
    if not args.quiet:
        out = Path(args.out) if args.out else Path(args.run_dir) / "check"
        print(f"  보고서: {out / audit.REPORT_MD}  ({audit.REPORT_JSON})")
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show full tracebacks on errors",
    )
    common.add_argument(
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bars or chatter (also when CI is set)",
    )
    p = argparse.ArgumentParser(
        prog="talent",
        description="talentlib — 국가전략기술 인재 분석 (career flows, job-posting competencies, workforce maps)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--verbose", action="store_true", help="show full tracebacks on errors")
    p.add_argument(
        "--quiet", action="store_true", help="no progress bars or chatter (also when CI is set)"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser(
        "synth",
        parents=[common],
        help="generate the synthetic dataset with planted truth",
        description="Generate pseudonymized synthetic researchers, participations, employment-insurance "
        "spells, key table and publications, with realistic faults and truth.json.",
        epilog="scales: tiny (1,500 researchers, tests), small (8,000, demo), medium (60,000), "
        "national (510,000 — the plan's scale, several million rows)",
    )
    s.add_argument("--scale", choices=["tiny", "small", "medium", "national"], default="small")
    s.add_argument(
        "--seed", type=int, default=20240101, help="same seed, same data (default 20240101)"
    )
    s.add_argument(
        "--out",
        help="output folder (default data/synthetic/SCALE): new, empty, or made by talent synth "
        "before; any other folder is refused and left untouched",
    )
    s.set_defaults(func=_cmd_synth)

    v = sub.add_parser(
        "validate",
        parents=[common],
        help="check a file against its data contract; write the rows that fail to a quarantine",
        description="Read a CSV (UTF-8 or CP949), Parquet or JSONL file, validate it against "
        "talentlib/data_contracts/DATASET.yaml and print counts in / valid / quarantined.",
    )
    v.add_argument(
        "dataset", help="contract name, e.g. researchers, participations, employment_spells"
    )
    v.add_argument("path", help="the file to check")
    v.add_argument(
        "--encoding",
        help="text encoding of a CSV/TSV/JSON file, e.g. cp949, euc-kr, utf-8 (default: detect "
        "UTF-8, with or without BOM, else CP949); ignored for Parquet",
    )
    v.add_argument(
        "--quarantine",
        help="where to write failing rows (default outputs/quarantine/DATASET-STEM.quarantine.csv; "
        "never beside the input)",
    )
    v.add_argument(
        "--mapping",
        metavar="FILE",
        help="intake mapping (YAML) for a real export: column renames, value labels, date "
        "formats and code vintages (examples: talentlib/data_contracts/intake/); the input is only read",
    )
    v.set_defaults(func=_cmd_validate)

    r = sub.add_parser(
        "run",
        parents=[common],
        help="run a pipeline: every notebook for every field, in parallel, resumable",
        description="Execute the pipeline's notebooks with papermill for each field (one process "
        "per field, --workers at a time), then write each field's brief (HTML, Excel, manifest) "
        "through the disclosure gate and a cross-field summary under OUTPUTS/<run_id>/release/. A "
        "failing field is reported and the others go on. Then the whole release is audited "
        "together (talent check-release: every suppressed cell against all published tables); a "
        "release that fails is withheld in OUTPUTS/<run_id>/internal/withheld_release/ (pipeline "
        "key release_check: refuse | report). The exit code is 1 if any field failed or the "
        "release was withheld.",
        epilog="The pipeline YAML says which notebooks, fields, parameters, disclosure rules and "
        "dataset; see pipelines/default.yaml. dataset: {registers: DIR, bibliometrics: OA} reads "
        "the works from a `talent openalex import` folder; bibliometrics alone builds only the "
        "global map. Logs: OUTPUTS/<run_id>/internal/<field>/logs/; the release check's cells: "
        "OUTPUTS/<run_id>/internal/check/check_report.md.",
    )
    r.add_argument("--pipeline", default="pipelines/default.yaml", help="batch definition (YAML)")
    r.add_argument(
        "--fields", nargs="+", metavar="FIELD", help="field codes (default: the pipeline's)"
    )
    r.add_argument(
        "--workers", type=int, help="fields run at the same time (default: the pipeline's)"
    )
    r.add_argument(
        "--resume",
        action="store_true",
        help="skip (field, notebook) steps already done with the same parameters; continues "
        "--run-id, or the latest run with the same settings",
    )
    r.add_argument("--run-id", help="run folder name under OUTPUTS (default: timestamp-hash)")
    r.add_argument(
        "--data",
        help="dataset folder to analyse (default: the pipeline's dataset); read only, never "
        "written — a missing folder or one without dataset files is an error",
    )
    r.add_argument(
        "--scale",
        choices=["tiny", "small", "medium", "national"],
        help="use synthetic data of this scale: data/synthetic/SCALE, or --data DIR if that is "
        "empty or made by talent synth (generated when missing)",
    )
    r.add_argument("--outputs", default="outputs", help="outputs root (default outputs/)")
    r.set_defaults(func=_cmd_run)

    d = sub.add_parser(
        "demo",
        parents=[common],
        help="the main job on the embedded synthetic data",
        description="Generate the small synthetic dataset if it is missing, validate every table, "
        "then run the default pipeline on it: a Korean brief (HTML + Excel) per field and the 12 "
        "fields side by side, under outputs/<run_id>/.",
    )
    d.add_argument(
        "--data",
        help="synthetic dataset folder (default data/synthetic/small); generated there only if it "
        "is empty or made by talent synth",
    )
    d.add_argument("--outputs", default="outputs", help="outputs root (default outputs/)")
    d.add_argument("--seed", type=int, default=20240101)
    d.add_argument("--fields", nargs="+", metavar="FIELD", help="field codes (default: all 12)")
    d.add_argument("--workers", type=int, help="fields run at the same time (default 2)")
    d.set_defaults(func=_cmd_demo)

    o = sub.add_parser(
        "openalex",
        parents=[common],
        help="import real OpenAlex works (snapshot, API pages, JSON lines) for the workforce map",
        description="Work with real OpenAlex data. `talent openalex import --help` for details.",
    )
    o_sub = o.add_subparsers(dest="openalex_command", metavar="ACTION", required=True)
    oi = o_sub.add_parser(
        "import",
        parents=[common],
        help="stream OpenAlex works into partitioned Parquet, keeping the strategic technologies",
        description="Read an OpenAlex snapshot folder (works/updated_date=*/part_*.gz), API pages\n"
        "({meta, results}) or JSON lines (plain or .gz) in bounded memory; place every work in the\n"
        "50 strategic technologies by its OpenAlex topics (talentlib/data_contracts/taxonomy/\n"
        "openalex_topics.yaml; title keywords confirm or stand in); write the kept works under\n"
        "DATA_DIR as publications/, authorships/ and institutions.parquet, with\n"
        "openalex_manifest.json and quarantine/ (bad records: file, line, reason).\n"
        "Rerunning the same command resumes: parts already imported from unchanged files are\n"
        "skipped.",
        epilog="examples:\n"
        "  talent openalex import ~/openalex-snapshot --out data/openalex --fields BATT SEMI "
        "--years 2015-2025\n"
        "  talent openalex import pages/*.json works.jsonl.gz --out data/openalex_test\n"
        "\nDATA_DIR must be new, empty, or made by this command with the same settings; sources\n"
        "are never written. The workforce map then reads it: talent run --data DATA_DIR",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    oi.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="snapshot folder, .json, .jsonl(.gz)"
    )
    oi.add_argument(
        "--out", required=True, metavar="DATA_DIR", help="folder for the Parquet output"
    )
    oi.add_argument(
        "--fields",
        nargs="+",
        metavar="FIELD",
        help="field codes to keep, e.g. BATT SEMI (default all 12)",
    )
    oi.add_argument(
        "--years",
        type=_year_range,
        metavar="YYYY-YYYY",
        help="publication years to keep, e.g. 2015-2025 (default: 1990 to next year)",
    )
    oi.add_argument(
        "--batch-size", type=int, default=50_000, help="records parsed at a time (default 50000)"
    )
    oi.set_defaults(func=_cmd_openalex_import)

    c = sub.add_parser(
        "check-release",
        parents=[common],
        help="audit a whole release: can suppressed cells be recovered by combining tables?",
        description="Read every published table of a run (all fields' tables/*.parquet) and, for\n"
        "every suppressed count cell, compute the interval an attacker can derive from all of\n"
        "them together: margins, the same breakdown in other tables and briefs, the 12-field\n"
        "comparison, earlier releases (--previous). Linear programming (HiGHS) over the tables\n"
        "that count the same population. Writes check_report.json (ACRO-style: per table the\n"
        "checks run, pass/fail/review and the failing cells with their intervals) and\n"
        "check_report.md (Korean).",
        epilog="protection rule: a suppressed cell fails when its lower bound is below the\n"
        "threshold (min_count) and upper - lower < p, with p = max(3, ceil(0.3 x threshold))\n"
        "unless --protection is given. A cell whose lower bound reaches the threshold is not a\n"
        "small count and passes. review: the solver had no answer, or the tables contradict each\n"
        "other (population metadata that does not hold). Exit code 1 if anything fails.\n\n"
        "examples:\n"
        "  talent check-release outputs/20240506T070809-ab12cd34\n"
        "  talent check-release outputs/NEW --previous outputs/OLD --out review/\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument(
        "run_dir", metavar="RUN_DIR", help="a run folder outputs/<run_id> (or one field's folder)"
    )
    c.add_argument(
        "--previous",
        nargs="+",
        metavar="RUN_DIR",
        help="earlier releases of the same data: their tables are published too, so they constrain",
    )
    c.add_argument(
        "--protection",
        type=int,
        metavar="P",
        help="smallest allowed width of a small cell's interval (default max(3, 30%% of threshold))",
    )
    c.add_argument("--out", help="report folder (default RUN_DIR/check/)")
    c.add_argument(
        "--verdicts-only",
        action="store_true",
        help="stop bounding a cell once it is known to pass (as the batch's gate does): the same "
        "verdicts and failing cells, several times faster (the demo: 40 s → 7 s); passing cells get "
        "no exact interval",
    )
    c.set_defaults(func=_cmd_check_release)

    t = sub.add_parser(
        "taxonomy",
        parents=[common],
        help="curate the competency taxonomy: suggest codes and synonyms from postings",
        description="Work with the competency taxonomy. `talent taxonomy suggest --help` for details.",
    )
    t_sub = t.add_subparsers(dest="taxonomy_command", metavar="ACTION", required=True)
    ts = t_sub.add_parser(
        "suggest",
        parents=[common],
        help="rank competency mentions the taxonomy has no code for and propose codes/synonyms",
        description="Read job postings (txt, HTML, PDF, images), find the competency mentions\n"
        "that no code of talentlib/data_contracts/taxonomy/competencies.yaml covers, rank them by number\n"
        "of postings and fields, and write proposals a curator can accept: synonyms of existing\n"
        "codes (fuzzy neighbours) or new codes (field, kind guessed; named by the LLM when --llm\n"
        "is given), each with masked example lines. Personal information is masked.",
        epilog="examples:\n"
        "  talent taxonomy suggest tests/fixtures/postings_dev --out suggestions.yaml\n"
        "  talent taxonomy suggest postings/*.txt --out suggestions.csv --min-postings 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ts.add_argument("postings", nargs="+", metavar="POSTINGS", help="posting files or folders")
    ts.add_argument(
        "--out",
        default="outputs/taxonomy_suggestions.yaml",
        help="YAML (default) or .csv file (default outputs/taxonomy_suggestions.yaml)",
    )
    ts.add_argument("--min-postings", type=int, default=1, help="keep mentions seen in N+ postings")
    ts.add_argument("--top", type=int, default=200, help="at most this many suggestions (200)")
    ts.add_argument("--llm", metavar="SPEC", help="LLM backend to name new codes (gemma, openai:…)")
    ts.add_argument("--cache-dir", metavar="DIR", help="ingest cache (OCR results)")
    ts.set_defaults(func=_cmd_taxonomy_suggest)

    e = sub.add_parser(
        "eval-postings",
        add_help=False,
        help="precision/recall/F1 of competency tags, education/majors/experience accuracy, OCR CER",
        description="Evaluate job-posting extraction on the synthetic and the hand-written sets "
        "(text and OCR paths, with or without an LLM). Run `talent eval-postings --help` for options.",
    )
    e.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    e.set_defaults(func=_cmd_eval_postings)
    return p


def _cmd_eval_postings(args: argparse.Namespace) -> int:
    from talentlib.evaluation import postings as evaluate

    return int(evaluate.main(args.rest) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval-postings"]:  # its own parser, so that `--help` shows its options
        from talentlib.evaluation import postings as evaluate

        return int(evaluate.main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if os.environ.get("CI"):
        args.quiet = True
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line for people; the traceback on --verbose
        if args.verbose:
            traceback.print_exc()
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "" if isinstance(exc, UserError) else " (run with --verbose for details)"
        print(f"talent {args.command}: error: {msg}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
