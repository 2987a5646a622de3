"""The protection rule (``verdict``: pass / fail / review of a suppressed cell's interval) and
what an audit returns: per cell, per table, and for the whole release (``AuditResult``, with
its JSON forms for the checker and for publication)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import __version__, privacy
from .release import PublishedTable, Skipped


def protection_level(threshold: int, protection: int | None = None) -> int:
    """p: the narrowest interval allowed for a cell that may be a small count."""
    return int(protection) if protection is not None else privacy.protection_interval(threshold)


def verdict(lower: int | None, upper: int | None, threshold: int, p: int) -> tuple[str, str]:
    """pass / fail / review for a suppressed cell with feasible interval [lower, upper]."""
    if lower is None:
        return "review", "구간을 계산하지 못함 / no interval"
    if upper is None:
        return "pass", "상한 없음 / unbounded above"
    if lower >= threshold:
        what = "정확히 복원됨" if lower == upper else "기준 이상"
        return "pass", f"{what}(≥{threshold}): 작은 값 아님 / not a small count"
    if upper - lower < p:
        if lower == upper:
            return "fail", f"정확히 복원됨 = {lower} / recovered exactly"
        return "fail", f"폭 {upper - lower} < {p} / interval narrower than {p}"
    return "pass", f"폭 {upper - lower} ≥ {p}"


@dataclass
class CellResult:
    """The audit of one suppressed cell."""

    table: str
    release: str
    keys: dict[str, str]
    margin: bool
    lower: int | None
    upper: int | None
    best_guess: int | None
    verdict: str
    reason: str
    method: str
    component_tables: int  # tables whose equations bound this cell (its connected component)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TableResult:
    """ACRO-style outcome of one output: checks run, status, summary."""

    uid: str
    name: str
    brief: str
    release: str
    file: str
    count: str
    dims: list[str]
    population: dict[str, Any] | None
    cells: int
    suppressed: int
    checks: dict[str, dict[str, Any]]
    status: str
    summary: str
    notes: list[str]


@dataclass
class AuditResult:
    """Everything check_release found, with the numbers the report shows."""

    tables: list[TableResult]
    cells: list[CellResult]
    skipped: list[Skipped]
    inconsistencies: list[str]
    protection: int | None
    seconds: float
    run_dir: str = ""
    previous: list[str] = field(default_factory=list)
    # the tables audited, for secondary_cells (not in the reports)
    published: list[PublishedTable] = field(default_factory=list, repr=False)

    @property
    def status(self) -> str:
        """fail if any table of this release or any suppressed cell (earlier releases included,
        since publishing this one must not break them) fails; else review, else pass."""
        st = {t.status for t in self.tables if t.release == "current"}
        st |= {c.verdict for c in self.cells}
        return "fail" if "fail" in st else "review" if "review" in st else "pass"

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "fail" else 0

    def counts(self, release: str | None = None) -> dict[str, int]:
        """Tables and suppressed cells, failing, under review, recovered exactly."""
        cur = [c for c in self.cells if release is None or c.release == release]
        tabs = [t for t in self.tables if release is None or t.release == release]
        return {
            "tables": len(tabs),
            "tables_fail": sum(t.status == "fail" for t in tabs),
            "tables_review": sum(t.status == "review" for t in tabs),
            "cells_suppressed": len(cur),
            "cells_fail": sum(c.verdict == "fail" for c in cur),
            "cells_review": sum(c.verdict == "review" for c in cur),
            "cells_exact": sum(c.lower is not None and c.lower == c.upper for c in cur),
            "cells_fail_exact": sum(c.verdict == "fail" and c.lower == c.upper for c in cur),
        }

    def by_family(self) -> dict[str, dict[str, int]]:
        """Per table name across briefs: suppressed, fail, exact recoveries."""
        fam: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        name_of = {t.uid: t.name for t in self.tables}
        for c in self.cells:
            f = fam[name_of.get(c.table, c.table)]
            f["suppressed"] += 1
            f["fail"] += c.verdict == "fail"
            f["review"] += c.verdict == "review"
            f["exact"] += c.lower is not None and c.lower == c.upper
        return {k: dict(v) for k, v in sorted(fam.items())}

    def published_share(self) -> float | None:
        """Share of this release's count cells that are published (not suppressed)."""
        cur = [t for t in self.tables if t.release == "current"]
        total = sum(t.cells for t in cur)
        return round(1 - sum(t.suppressed for t in cur) / total, 4) if total else None

    def public_json(self) -> dict[str, Any]:
        """What may go out with a release that passed: the verdict, the rule and the counts — no
        cell, interval or guess, and no list of tables under review (that would point at the
        weakest spots; ``to_json`` has it all, internal)."""
        return {
            "tool": "talentlib.audit",
            "version": __version__,
            "status": self.status,
            "protection_rule": self.to_json_rule(),
            "summary": self.counts("current"),
            "published_share": self.published_share(),
            "previous_releases": len(self.previous),
        }

    def to_json_rule(self) -> str:
        return "fail if lower < threshold and upper - lower < p; " + (
            f"p = {self.protection}"
            if self.protection is not None
            else "p = max(3, ceil(0.3 * threshold))"
        )

    def to_json(self) -> dict[str, Any]:
        detail: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in self.cells:
            if c.verdict != "pass":
                detail[c.table].append(c.as_dict())
        return {
            "tool": "talentlib.audit",
            "internal": "names recoverable values of suppressed cells: never publish this report",
            "version": __version__,
            "created": datetime.now(UTC).isoformat(),
            "run_dir": self.run_dir,
            "previous": self.previous,
            "status": self.status,
            "protection_rule": self.to_json_rule(),
            "summary": self.counts(),
            "summary_this_release": self.counts("current"),
            "families": self.by_family(),
            "seconds": round(self.seconds, 2),
            "inconsistencies": self.inconsistencies,
            "skipped": [s.__dict__ for s in self.skipped],
            "results": {
                t.uid: {
                    **{k: v for k, v in t.__dict__.items() if k != "uid"},
                    "cells_detail": detail.get(t.uid, []),
                }
                for t in self.tables
            },
        }
