"""The `talent` command: generate synthetic data, validate datasets, run the demo."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

DEFAULT_DATA = Path(os.environ.get("TALENTLIB_DATA", "data/synthetic"))

EPILOG = """\
examples:
  talent demo                                  # generate the small dataset if missing, validate it, publish the overview
  talent synth --scale national --out data/synthetic/national
  talent validate employment_spells data/synthetic/small/employment_spells.parquet
  talent validate participations my_export.csv --quarantine bad_rows.csv

Datasets are described by the contracts in data_contracts/ (one YAML each); taxonomies by
data_contracts/taxonomy/. Add --verbose to any command to see a full traceback on errors.
"""


class UserError(Exception):
    """An error the user can fix; printed as one sentence, no traceback."""


def _cmd_synth(args: argparse.Namespace) -> int:
    from talentlib import synth

    out = Path(args.out) if args.out else DEFAULT_DATA / args.scale
    res = synth.generate(args.scale, seed=args.seed, out=out, progress=not args.quiet)
    if not args.quiet:
        print(f"합성 데이터 생성 완료: {out}  ({res.seconds:.1f}초)")
        for name, n in res.rows.items():
            print(f"  {name:<20} {n:>12,}행")
        print(f"  정답(truth): {out / 'truth.json'}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from talentlib import contracts, io

    path = Path(args.path)
    if not path.exists():
        raise UserError(f"file not found: {path} — check the path (talent validate DATASET PATH)")
    if args.dataset not in contracts.list_contracts():
        raise UserError(
            f"unknown dataset {args.dataset!r}; known: {', '.join(contracts.list_contracts())}"
        )
    result = io.read_validated(path, args.dataset)
    q_path = (
        Path(args.quarantine) if args.quarantine else path.with_name(f"{path.stem}.quarantine.csv")
    )
    print(f"{args.dataset}: {path}")
    print(f"  in {result.n_in:,} / valid {result.n_valid:,} / quarantined {result.n_quarantined:,}")
    if result.n_quarantined:
        by_rule = result.quarantine.group_by("rule").len().sort("len", descending=True)
        for rule, n in by_rule.iter_rows():
            print(f"    {rule:<16} {n:>10,}")
        contracts.write_quarantine(result, q_path)
        print(f"  quarantine written to {q_path}")
    for w in getattr(result, "warnings", []) or []:
        print(f"  warning: {w}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from talentlib import demo

    data = Path(args.data) if args.data else DEFAULT_DATA / "small"
    out = demo.run(data=data, outputs=Path(args.outputs), seed=args.seed, quiet=args.quiet)
    print(f"결과: {out}")
    return 0


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
    s.add_argument("--out", help="output folder (default data/synthetic/SCALE)")
    s.set_defaults(func=_cmd_synth)

    v = sub.add_parser(
        "validate",
        parents=[common],
        help="check a file against its data contract; write the rows that fail to a quarantine",
        description="Read a CSV (UTF-8 or CP949), Parquet or JSONL file, validate it against "
        "data_contracts/DATASET.yaml and print counts in / valid / quarantined.",
    )
    v.add_argument(
        "dataset", help="contract name, e.g. researchers, participations, employment_spells"
    )
    v.add_argument("path", help="the file to check")
    v.add_argument(
        "--quarantine", help="where to write failing rows (default: PATH stem + .quarantine.csv)"
    )
    v.set_defaults(func=_cmd_validate)

    d = sub.add_parser(
        "demo",
        parents=[common],
        help="the main job on the embedded synthetic data",
        description="Generate the small synthetic dataset if it is missing, validate every table, and "
        "publish the analyses that exist so far (disclosure-controlled) under outputs/.",
    )
    d.add_argument("--data", help="dataset folder (default data/synthetic/small)")
    d.add_argument("--outputs", default="outputs", help="outputs root (default outputs/)")
    d.add_argument("--seed", type=int, default=20240101)
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
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
