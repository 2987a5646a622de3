"""Pseudonymization and disclosure control.

Two jobs, one per section below (PII in free text is found and masked by ``talentlib.pii``):

* ``pseudonymize`` replaces direct identifiers by keyed HMAC-SHA256 pseudonyms (key from the
  environment, never from the repository) so that linkage works without names or RRNs.
* ``disclose`` is the one gate every published table goes through: threshold rule, then either
  complementary suppression against margins (``method="suppression"``) or cell-key perturbation
  of every published count (``method="cell_key"``, ``talentlib.cellkey``), and threshold/dominance
  rules on magnitudes (wages).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = [
    "DATA_TOKEN",
    "TOTAL",
    "DisclosedTable",
    "DisclosureRules",
    "Layout",
    "PseudonymizationKeyError",
    "disclose",
    "is_disclosed",
    "layout",
    "magnitude_stats",
    "pseudonymize",
    "pseudonymize_frame",
]

# ---------------------------------------------------------------------------------------------
# Keyed pseudonymization
# ---------------------------------------------------------------------------------------------

DEFAULT_KEY_ENV = "TALENTLIB_PSEUDONYM_KEY"
# A short key makes pseudonyms of small identifier spaces (RRNs, phone numbers) guessable.
MIN_KEY_CHARS = 16
_DOMAIN_SEP = "\x1f"


class PseudonymizationKeyError(RuntimeError):
    """The pseudonymization key is missing or too weak; the message says how to set one."""


def _key_help(key_env: str) -> str:
    return (
        f"Set the secret pseudonymization key in the environment variable {key_env} "
        f"(at least {MIN_KEY_CHARS} characters), e.g.\n"
        f'    export {key_env}=$(python -c "import secrets; print(secrets.token_hex(32))")\n'
        "Keep it outside the repository and use the same key for every run whose pseudonyms "
        "must link; there is no default key."
    )


def _load_key(key_env: str) -> bytes:
    key = os.environ.get(key_env, "")
    if not key:
        raise PseudonymizationKeyError(f"{key_env} is not set or empty. " + _key_help(key_env))
    if len(key) < MIN_KEY_CHARS:
        raise PseudonymizationKeyError(
            f"{key_env} is shorter than {MIN_KEY_CHARS} characters. " + _key_help(key_env)
        )
    return key.encode("utf-8")


def _hmac_sha256_hex(key: bytes, messages: list[str]) -> list[str]:
    """HMAC-SHA256 (RFC 2104) of many messages; reusing the padded-key states is ~2.5x hmac.new."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for m in messages:
        inner = inner0.copy()
        inner.update(m.encode("utf-8"))
        outer = outer0.copy()
        outer.update(inner.digest())
        out.append(outer.hexdigest())
    return out


def _as_identifier_strings(values: pl.Series) -> pl.Series:
    dt = values.dtype
    if dt == pl.String:
        return values
    if isinstance(dt, (pl.Categorical, pl.Enum)) or dt.is_integer():
        return values.cast(pl.String)
    raise TypeError(
        f"pseudonymize: column {values.name!r} has dtype {dt}; identifiers must be strings or "
        "integers (cast them explicitly so that the same id always has the same text)."
    )


def pseudonymize(
    values: pl.Series,
    *,
    domain: str,
    key_env: str = DEFAULT_KEY_ENV,
    length: int = 16,
) -> pl.Series:
    """Replace identifiers by HMAC-SHA256(key, f"{domain}\\x1f{value}") as lowercase hex.

    The domain keeps person ids and employer ids apart; nulls stay null; integers are hashed as
    their decimal text. The key comes from ``key_env`` and there is no default.
    """
    if not isinstance(length, int) or not 16 <= length <= 64:
        raise ValueError(f"length must be an integer between 16 and 64, got {length!r}")
    if not domain or _DOMAIN_SEP in domain:
        raise ValueError("domain must be a non-empty string without the \\x1f separator")
    key = _load_key(key_env)
    text = _as_identifier_strings(values)
    uniques = text.drop_nulls().unique()
    digests = _hmac_sha256_hex(key, [f"{domain}{_DOMAIN_SEP}{v}" for v in uniques.to_list()])
    mapping = pl.DataFrame(
        {"__value": uniques, "__pseudonym": [d[:length] for d in digests]},
        schema={"__value": pl.String, "__pseudonym": pl.String},
    )
    out = (
        text.rename("__value")
        .to_frame()
        .join(mapping, on="__value", how="left", maintain_order="left")
        .get_column("__pseudonym")
    )
    return out.rename(values.name)


def pseudonymize_frame(df: pl.DataFrame, columns: dict[str, str], **kw: Any) -> pl.DataFrame:
    """Pseudonymize several columns at once, ``columns`` mapping column name → domain."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"pseudonymize_frame: column(s) not in frame: {', '.join(missing)}")
    return df.with_columns(
        pseudonymize(df.get_column(c), domain=d, **kw) for c, d in columns.items()
    )


# ---------------------------------------------------------------------------------------------
# Disclosure control
# ---------------------------------------------------------------------------------------------

TOTAL = "__total__"
# In a table's population (``disclose(population=...)``, read by ``talentlib.audit``) this stands
# for the fingerprint of the input data, which the auditor takes from the brief's manifest.
DATA_TOKEN = "@data"
_DISCLOSE_TOKEN = object()  # only disclose() sets it; see is_disclosed()


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds for published tables; safe defaults, override per run and record in the manifest.

    Zero cells are published as zero and never chosen as complements: they protect nothing.
    """

    min_count: int = 5  # threshold rule: a count cell with 0 < n < min_count is suppressed
    min_count_magnitude: int = 10  # magnitudes only for groups of at least this many people
    dominance_n: int = 2  # (n, k) dominance rule on magnitudes:
    dominance_k: float = 0.85  # suppressed if the top n contributors hold more than k of the total
    # how counts are protected across the tables of a release: complementary suppression, or
    # cell-key perturbation (talentlib.cellkey; the same people get the same noise everywhere)
    method: str = "suppression"
    # the release's secret salt for record keys (cell_key only); None: the installation's secret
    # (cellkey.release_salt). Never published: briefs and ledgers show only its salt_id.
    cell_key_salt: str | None = None
    _salt_given: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_salt_given", self.cell_key_salt is not None)
        if self.cell_key_salt is None:
            from talentlib import cellkey

            # suppression computes no noise: no secret is read (or made) for it
            salt = cellkey.release_salt() if self.method == "cell_key" else ""
            object.__setattr__(self, "cell_key_salt", salt)
        if self.min_count < 1 or self.min_count_magnitude < 1 or self.dominance_n < 1:
            raise ValueError("min_count, min_count_magnitude and dominance_n must be >= 1")
        if not 0 < self.dominance_k <= 1:
            raise ValueError("dominance_k must be in (0, 1]")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The rules' settings, read from the class itself (never listed twice)."""
        return tuple(f.name for f in dataclasses.fields(cls) if not f.name.startswith("_"))

    def settings(self) -> dict[str, Any]:
        """The keyword arguments that make these rules again: a salt nobody gave is left out,
        so that a plan, a pipeline record or an executed notebook never holds the
        installation's secret (each process reads it itself)."""
        return {
            k: getattr(self, k) for k in self.names() if k != "cell_key_salt" or self._salt_given
        }

    def as_parameters(self) -> dict[str, Any]:
        """The rules as notebook parameters (``method`` is declared as ``disclosure_method``)."""
        return {PARAMETER_NAMES.get(k, k): v for k, v in self.settings().items()}

    def public(self) -> dict[str, Any]:
        """The rules as a brief, a manifest or a ledger may show them: every setting but the
        salt, which is replaced by its ``salt_id`` under cell_key (``cellkey.salt_id``)."""
        out = {k: getattr(self, k) for k in self.names() if k != "cell_key_salt"}
        if self.method == "cell_key":
            from talentlib import cellkey

            out["salt_id"] = cellkey.salt_id(self.cell_key_salt or "")
        return out

    @classmethod
    def from_parameters(cls, params: Mapping[str, Any]) -> DisclosureRules:
        """The rules a notebook declared as parameters (its ``globals()`` will do): every
        setting it declares, the defaults for the rest."""
        given = {k: params.get(PARAMETER_NAMES.get(k, k)) for k in cls.names()}
        return cls(**{k: v for k, v in given.items() if v is not None})

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> DisclosureRules:
        """Rules of a named preset (``talentlib/disclosure_presets.yaml``), keys overridden."""
        presets = disclosure_presets()
        if name not in presets:
            raise ValueError(f"unknown disclosure preset {name!r}; known: {', '.join(presets)}")
        return cls(**{**presets[name]["rules"], **overrides})


METHODS = ("suppression", "cell_key")
# rules whose notebook parameter has another name (a bare "method" would say nothing there)
PARAMETER_NAMES = {"method": "disclosure_method"}


def disclosure_presets() -> dict[str, dict[str, Any]]:
    """The named rule sets a pipeline may choose (``disclosure: {preset: acro}``)."""
    from pathlib import Path

    import yaml

    path = Path(__file__).with_name("disclosure_presets.yaml")
    with open(path, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh)["presets"])


SUPPRESSED_SUFFIX = "_suppressed"  # a value column's flag: True where the value is hidden


@dataclass(frozen=True)
class Layout:
    """How a published table is laid out: dimension columns (TOTAL in a margin), then value
    columns, each with a ``{value}_suppressed`` flag; ``disclose`` writes the count first."""

    dims: list[str]
    values: list[str]

    @property
    def count(self) -> str | None:
        return self.values[0] if self.values else None

    @property
    def flags(self) -> list[str]:
        return [f"{v}{SUPPRESSED_SUFFIX}" for v in self.values]


def layout(df: pl.DataFrame) -> Layout:
    """The layout of a published table (a ``DisclosedTable.table`` or a file read back): the one
    place that knows how dimensions, values and their flags are told apart."""
    values = [
        c.removesuffix(SUPPRESSED_SUFFIX) for c in df.columns if c.endswith(SUPPRESSED_SUFFIX)
    ]
    flags = {f"{v}{SUPPRESSED_SUFFIX}" for v in values}
    return Layout([c for c in df.columns if c not in flags and c not in values], values)


@dataclass(frozen=True, eq=False)
class DisclosedTable:
    """A table that passed ``disclose``: published cells, the suppression log and the rules.

    ``log`` says which rule hid each cell (a "threshold" entry tells that 0 < n < min_count), so
    it stays inside the secure environment; publish ``public_log()`` instead.
    """

    table: pl.DataFrame
    log: pl.DataFrame
    rules: DisclosureRules
    # how the counts were protected: the method, the most a published count differs from the
    # truth (0 unless perturbed), whether complementary cells were hidden besides the cells under
    # the threshold, and what the table counts (``audit.Population.to_json`` form, or None)
    method: str = "suppression"
    max_perturbation: int = 0
    complementary: bool = True
    population: dict[str, Any] | None = None
    _token: object = field(default=None, init=False, repr=False)
    _fingerprint: str = field(default="", init=False, repr=False)

    def display(self, lang: str = "ko") -> pl.DataFrame:
        """Table for people: suppressed cells read 비공개 / suppressed, margins 합계 / Total."""
        if lang not in ("ko", "en"):
            raise ValueError("lang must be 'ko' or 'en'")
        from talentlib import labels

        hidden, total = (
            (labels.SUPPRESSED_KO, labels.TOTAL_KO) if lang == "ko" else ("suppressed", "Total")
        )
        lay = layout(self.table)
        flags, values = set(lay.flags), set(lay.values)
        exprs = []
        for c, dt in self.table.schema.items():
            if c in flags:
                continue
            if c in values:
                exprs.append(
                    pl.when(pl.col(f"{c}_suppressed"))
                    .then(pl.lit(hidden))
                    .otherwise(pl.col(c).cast(pl.String))
                    .alias(c)
                )
            elif dt == pl.String:
                exprs.append(pl.col(c).replace(TOTAL, total))
            else:
                exprs.append(pl.col(c))
        return self.table.select(exprs)

    def published_rows(self, where: pl.Expr | None = None) -> DisclosedTable:
        """The table without its rows whose count is suppressed (a list of, say, companies with
        at least the threshold of postings), and only the rows ``where`` holds: a reader no
        longer learns how many small ones there are. Dropping rows reveals nothing, so the
        result is still disclosed."""
        keep = self.table.filter(~pl.col(layout(self.table).flags[0]))
        if where is not None:
            keep = keep.filter(where)
        dims = [c for c in self.log.columns if c not in ("column", "rule", "message")]
        log = self.log.join(keep.select(dims).with_columns(pl.col(dims).cast(pl.String)),
                            on=dims, how="semi", nulls_equal=True)  # fmt: skip
        out = dataclasses.replace(self, table=keep, log=log)
        object.__setattr__(out, "_token", _DISCLOSE_TOKEN)
        object.__setattr__(out, "_fingerprint", _fingerprint(keep))
        return out

    def hidden(self) -> pl.DataFrame:
        """The cells whose count this table hides, as their dimension values (text; TOTAL for
        a margin): what another table of the same people must hide too (``disclose(hide=)``)."""
        lay = layout(self.table)
        return self.table.filter(pl.col(lay.flags[0])).select(
            pl.col(d).cast(pl.String) for d in lay.dims
        )

    def public_log(self) -> pl.DataFrame:
        """Which cells are suppressed, without the rule (the rule would narrow a hidden value)."""
        return self.log.select(pl.exclude("rule", "message")).unique(maintain_order=True)

    def stamp(self) -> dict[str, Any]:
        """What the ledger records about how this table was protected (``report.save_tables``;
        ``audit`` reads it): the rules with ``max_perturbation``, the method, whether
        complementary suppression was applied, and the population when known."""
        out: dict[str, Any] = {
            "rules": {**self.rules.public(), "max_perturbation": self.max_perturbation},
            "method": self.method,
            "complementary_suppression": self.complementary,
        }
        if self.population is not None:
            out["population"] = self.population
        return out


def _fingerprint(df: pl.DataFrame) -> str:
    h = hashlib.sha256(repr(list(df.schema.items())).encode())
    h.update(df.hash_rows(seed=0).to_numpy().tobytes())
    return h.hexdigest()


def is_disclosed(obj: object) -> bool:
    """True only for a ``DisclosedTable`` made by ``disclose`` and not modified since."""
    return (
        isinstance(obj, DisclosedTable)
        and obj._token is _DISCLOSE_TOKEN
        and obj._fingerprint == _fingerprint(obj.table)
    )


def _quantile_name(q: float) -> str:
    if not 0 <= q <= 1:
        raise ValueError(f"quantile must be in [0, 1], got {q}")
    return "p" + f"{q * 100:g}".replace(".", "_")


def magnitude_stats(
    micro: pl.DataFrame | pl.LazyFrame,
    by: list[str],
    value: str,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75),
    n: int = 2,
    *,
    margins: list[list[str]] | None = None,
    round_to: float | None = None,
) -> pl.DataFrame:
    """Per-group n_people, quantiles (numpy 'linear') and top-n share of ``value`` for disclose.

    Only people with a non-null value count. ``{value}_top_share`` is the share of the group's
    total of |value| held by its ``n`` largest contributors; pass the same n as the rules'
    dominance_n. ``margins`` lists extra groupings (subsets of ``by``) whose other ``by``
    columns are set to TOTAL, e.g. ``[["field"], ["state"], []]`` for a field × state table, so
    that ``disclose`` gets real margin medians instead of leaving them empty. ``round_to``
    rounds the quantiles to a multiple of it (wages to 10,000 won): an interpolated quantile's
    last digits tell how many people the group has, modulo a small number.
    """
    lf = micro.lazy()
    schema = lf.collect_schema()
    missing = [c for c in [*by, value] if c not in schema]
    if missing:
        raise ValueError(f"magnitude_stats: column(s) not in frame: {', '.join(missing)}")
    if not schema[value].is_numeric():
        raise ValueError(f"magnitude_stats: column {value!r} must be numeric")
    if n < 1:
        raise ValueError("n must be >= 1")
    v = pl.col(value)
    total = v.abs().sum()
    aggs = [
        pl.len().cast(pl.Int64).alias("n_people"),
        *(
            (
                v.quantile(q, interpolation="linear")
                if not round_to
                else (v.quantile(q, interpolation="linear") / round_to).round(0) * round_to
            ).alias(f"{value}_{_quantile_name(q)}")
            for q in quantiles
        ),
        pl.when(total > 0)
        .then(v.abs().top_k(n).sum() / total)
        .otherwise(None)
        .cast(pl.Float64)
        .alias(f"{value}_top_share"),
    ]
    lf = lf.filter(v.is_not_null())
    frames = [lf.group_by(by, maintain_order=True).agg(aggs).sort(by)]
    if margins:
        frames = [frames[0].with_columns(pl.col(c).cast(pl.String) for c in by)]
        for keep in margins:
            bad = [c for c in keep if c not in by]
            if bad:
                raise ValueError(f"magnitude_stats: margin column(s) not in by: {', '.join(bad)}")
            grouped = (
                lf.group_by(keep, maintain_order=True).agg(aggs).sort(keep)
                if keep
                else lf.select(aggs)
            )
            frames.append(
                grouped.with_columns(
                    *(pl.col(c).cast(pl.String) for c in keep),
                    *(pl.lit(TOTAL).alias(c) for c in by if c not in keep),
                ).select(frames[0].collect_schema().names())
            )
    return pl.concat(frames).collect()


def _protect_lines(
    values: list[float],
    suppressed: list[bool],
    lines: list[list[int]],
    margin_of: list[int],
    min_sum: float | None,
) -> list[int]:
    """Greedy complementary suppression over additive lines; updates ``suppressed`` in place.

    Each line is a set of cells plus its margin (margin = sum of cells). A line is fixed when it
    has exactly one suppressed entry (recoverable by subtraction) or, with ``min_sum``, when its
    margin is published and its suppressed cells add up to 0 < s < min_sum (that sum is itself a
    published small count), or when they hide a small count but add up to less than
    ``protection_interval(min_sum) + k`` for k hidden cells (each is at least 1, so one of them
    would lie in an interval narrower than the protection interval). The fix suppresses the
    smallest nonzero published entry of the line, preferring one that also completes a crossing
    line, and repeats to a fixed point. A heuristic: it guarantees the line condition, not a minimal or LP-safe pattern (a cell can
    still be bounded by combining several lines). Returns the entries it added.
    """
    entry_lines: list[list[int]] = [[] for _ in values]
    for li, line in enumerate(lines):
        for e in line:
            entry_lines[e].append(li)
    n_supp = [sum(suppressed[e] for e in line) for line in lines]
    queue = deque(range(len(lines)))
    queued = [True] * len(lines)
    added: list[int] = []

    def offending(li: int) -> bool:
        if n_supp[li] == 1:
            return True
        m = margin_of[li]
        if min_sum is None or n_supp[li] == 0 or suppressed[m]:
            return False
        hidden = [values[e] for e in lines[li] if suppressed[e] and e != m]
        s = sum(hidden)
        if 0 < s < min_sum:
            return True
        small = any(0 < v < min_sum for v in hidden)
        return small and s < protection_interval(int(min_sum)) + len(hidden)

    while queue:
        li = queue.popleft()
        queued[li] = False
        if not offending(li):
            continue
        open_ = [e for e in lines[li] if not suppressed[e]]
        nonzero = [e for e in open_ if values[e] != 0]
        # Zeros protect nothing; they are taken only if nothing else is left (never for counts).
        candidates = nonzero or open_
        if not candidates:
            continue

        def cost(e: int, li: int = li) -> tuple[float, int, bool, int]:
            completes = sum(1 for lj in entry_lines[e] if lj != li and n_supp[lj] == 1)
            return (abs(values[e]), -completes, e == margin_of[li], e)

        pick = min(candidates, key=cost)
        suppressed[pick] = True
        added.append(pick)
        for lj in entry_lines[pick]:
            n_supp[lj] += 1
            if not queued[lj]:
                queue.append(lj)
                queued[lj] = True
        if not queued[li]:  # the sum condition may need more than one complement
            queue.append(li)
            queued[li] = True
    return added


def protection_interval(threshold: int) -> int:
    """The narrowest interval a reader may be able to put on a hidden small count, p =
    max(3, ceil(0.3 * threshold)) (the release auditor's rule, ``audit.protection_level``)."""
    return max(3, math.ceil(0.3 * threshold))


def _margin_share_bound(shares: list[Any], totals: list[Any]) -> float | None:
    """Upper bound on a margin's top-n share from its parts' shares and (additive) totals.

    The top n of a union hold at most the sum of each part's top n, i.e. sum(s_i * |T_i|), so
    the total-weighted mean of the parts' shares bounds the margin's share (assumes the shares
    were computed on the same, non-negative value that the additive column sums).
    """
    weight = sum(abs(t) for t in totals)
    if weight == 0:
        return None
    if any(s is None for s, t in zip(shares, totals, strict=True) if t):
        return None
    return sum(s * abs(t) for s, t in zip(shares, totals, strict=True) if t) / weight


def _validate(
    table: pl.DataFrame,
    count: str,
    dims: list[str],
    mags: list[str],
    additive: list[str],
    top_share: str | None,
    *keys: str,
) -> None:
    declared = [*dims, count, *mags, *([top_share] if top_share else []), *keys]
    for c in declared:
        if c not in table.columns:
            raise ValueError(f"disclose: column {c!r} is not in the table")
    if len(set(declared)) != len(declared):
        raise ValueError("disclose: a column is named in more than one role")
    extra = [c for c in table.columns if c not in declared]
    if extra:
        raise ValueError(
            "disclose: undeclared column(s) "
            + ", ".join(repr(c) for c in extra)
            + "; every published column must pass a rule: declare them in magnitudes= or drop "
            "them (labels belong to display time)"
        )
    for c in dims:
        if table.get_column(c).null_count():
            raise ValueError(f"disclose: dimension column {c!r} has nulls; use an explicit code")
    cnt = table.get_column(count)
    if not cnt.dtype.is_numeric():
        raise ValueError(f"disclose: count column {count!r} must be numeric")
    if cnt.null_count():
        raise ValueError(f"disclose: count column {count!r} has nulls")
    if (cnt < 0).any():
        raise ValueError(f"disclose: count column {count!r} has negative values")
    if cnt.dtype.is_float() and not (cnt == cnt.round(0)).all():
        raise ValueError(f"disclose: count column {count!r} has non-integer values")
    for c in [*mags, *([top_share] if top_share else [])]:
        if not table.get_column(c).dtype.is_numeric():
            raise ValueError(f"disclose: column {c!r} must be numeric")
    for c in additive:
        if table.get_column(c).null_count():
            raise ValueError(
                f"disclose: additive magnitude {c!r} has nulls; fill empty cells with 0"
            )
    if table.height and table.select(pl.struct(dims).is_duplicated().any()).item():
        raise ValueError(f"disclose: duplicated cells over dimension column(s) {', '.join(dims)}")


def _messages(rules: DisclosureRules) -> dict[str, str]:
    k = f"{rules.dominance_k:.0%}"
    return {
        "threshold": f"최소 인원 기준 미달 (0 < n < {rules.min_count}) / "
        f"below minimum count (0 < n < {rules.min_count})",
        "complementary": "합계 차감 역산 방지 보완 비공개 / "
        "complementary suppression (no recovery from totals)",
        "magnitude_threshold": f"집단 인원 {rules.min_count_magnitude}명 미만 / "
        f"group smaller than {rules.min_count_magnitude} people",
        "dominance": f"상위 {rules.dominance_n}인 비중 {k} 초과 또는 미상 / "
        f"top {rules.dominance_n} contributors hold over {k} (or unknown)",
        "count_suppressed": "인원 비공개 셀 / count is suppressed",
        "linked": "같은 사람들을 세는 다른 표에서 비공개 / "
        "hidden in another table of the same people",
    }


@dataclass
class _Extended:
    """The extended table: interior cells first, then margins; each line lists its margin last."""

    row_dims: list[str]
    cols: str | None
    n_cells: int
    values: list[int]
    labels: list[tuple[Any, Any]]  # per margin: (row key or None, col key or None); None = TOTAL
    contributors: list[list[int]]  # per margin: the interior cells it sums
    lines: list[list[int]]
    margin_of: list[int]
    cell_rc: list[tuple[int, int]] | None = None  # 2-D tables: (row, col) position of each cell

    @property
    def n_entries(self) -> int:
        return len(self.values)

    def index(self) -> dict[tuple[Any, Any], int]:
        return {lab: self.n_cells + j for j, lab in enumerate(self.labels)}


def _extend(interior: pl.DataFrame, count: str, row_dims: list[str], cols: str | None) -> _Extended:
    """Index the cells of a 1-D or 2-D table and add its margins and additive lines."""
    row_keys: dict[tuple, int] = {}
    col_keys: dict[Any, int] = {}
    cell_row = [
        row_keys.setdefault(k, len(row_keys)) for k in interior.select(row_dims).iter_rows()
    ]
    cell_col = (
        [col_keys.setdefault(k, len(col_keys)) for k in interior.get_column(cols).to_list()]
        if cols
        else []
    )
    n = interior.height
    labels: list[tuple[Any, Any]] = []
    contributors: list[list[int]] = []
    lines: list[list[int]] = []
    margin_of: list[int] = []
    if not cols:
        labels.append((None, None))
        contributors.append(list(range(n)))
        lines.append([*range(n), n])
        margin_of.append(n)
    else:
        rt0, ct0 = n, n + len(row_keys)
        grand = ct0 + len(col_keys)
        by_row: list[list[int]] = [[] for _ in row_keys]
        by_col: list[list[int]] = [[] for _ in col_keys]
        for i, (r, c) in enumerate(zip(cell_row, cell_col, strict=True)):
            by_row[r].append(i)
            by_col[c].append(i)
        for rk, r in row_keys.items():
            labels.append((rk, None))
            contributors.append(by_row[r])
            lines.append([*by_row[r], rt0 + r])
            margin_of.append(rt0 + r)
        for ck, c in col_keys.items():
            labels.append((None, ck))
            contributors.append(by_col[c])
            lines.append([*by_col[c], ct0 + c])
            margin_of.append(ct0 + c)
        labels.append((None, None))
        contributors.append(list(range(n)))
        lines.append([*range(ct0, grand), grand])  # the totals row
        margin_of.append(grand)
        lines.append([*range(rt0, ct0), grand])  # the totals column
        margin_of.append(grand)
    counts = [int(x) for x in interior.get_column(count).to_list()]
    values = counts + [sum(counts[i] for i in cs) for cs in contributors]
    rc = list(zip(cell_row, cell_col, strict=True)) if cols else None
    return _Extended(row_dims, cols, n, values, labels, contributors, lines, margin_of, rc)


def _real_totals(ext: _Extended, partition: bool | str) -> _Extended:
    """``ext`` with only the additive lines whose margin is a real total (see ``disclose``'s
    ``partition``); the rectangle step needs both directions, so it goes with any restriction."""
    if partition is True:
        return ext
    keep = [
        li
        for li, m in enumerate(ext.margin_of)
        if partition == "rows"
        and ext.labels[m - ext.n_cells][0] is not None
        and ext.labels[m - ext.n_cells][1] is None
    ]
    return dataclasses.replace(
        ext,
        lines=[ext.lines[li] for li in keep],
        margin_of=[ext.margin_of[li] for li in keep],
        cell_rc=None,
    )


# Cell-key tables still get complementary suppression on top of the perturbation (belt and
# braces). Measured with talentlib.audit on the small synthetic release (notebook 03, 12 fields,
# threshold 5, 6,906 count cells): perturbation alone hides 1,154 cells but 160 of them fail,
# because a reader who knows that every hidden cell is under the threshold (1..4) needs little
# more to pin one; with complementary cells on top (the same 2,189 hidden cells as suppression)
# none fails, against 167 (67 exact) for suppression alone. At threshold 10 perturbation alone
# still left 24 failing cells. False only to measure again.
CELL_KEY_COMPLEMENTARY = True


def _max_perturbation(rules: DisclosureRules) -> int:
    """The most a published count differs from the true one under ``rules``."""
    if rules.method != "cell_key":
        return 0
    from talentlib import cellkey

    return cellkey.MAX_PERTURBATION


def _hidden_entries(
    hide: pl.DataFrame | None, labels: list[dict[str, str]], dims: list[str]
) -> list[int]:
    """Positions in the extended table of the cells ``hide`` names (TOTAL: a margin)."""
    if hide is None or not hide.height:
        return []
    missing = [d for d in dims if d not in hide.columns]
    if missing:
        raise ValueError(f"disclose: hide lacks dimension column(s) {', '.join(missing)}")
    at = {tuple(lab[d] for d in dims): e for e, lab in enumerate(labels)}
    found = (at.get(tuple(str(v) for v in rec)) for rec in hide.select(dims).iter_rows())
    return sorted({e for e in found if e is not None})


def _entry_keys(
    interior: pl.DataFrame, given_rows: pl.DataFrame, ext: _Extended, cell_key: str
) -> list[int]:
    """The cell key of every entry of the extended table: the cells' own, then each margin's —
    from its precomputed row when that brings one, else the sum of its cells' keys mod 256."""
    from talentlib import cellkey

    keys = [int(k) for k in interior.get_column(cell_key).to_list()]
    own: dict[tuple[Any, Any], int] = {}
    for rec in given_rows.iter_rows(named=True):
        rk = tuple(rec[d] for d in ext.row_dims)
        ck = rec[ext.cols] if ext.cols else None
        label = (
            None if all(v == TOTAL for v in rk) else rk,
            None if (not ext.cols or ck == TOTAL) else ck,
        )
        own[label] = int(rec[cell_key])
    for lab, cs in zip(ext.labels, ext.contributors, strict=True):
        keys.append(own.get(lab, sum(keys[i] for i in cs) % cellkey.KEY_RANGE))
    return keys


def _protect_rectangles(ext: _Extended, suppressed: list[bool]) -> list[int]:
    """Hypercube step for 2-D tables: protect each primary cell with the cheapest rectangle.

    For a suppressed cell (r, c) whose row or column lacks a second suppression, pick (r2, c2)
    such that suppressing (r, c2), (r2, c) and (r2, c2) costs the least (already suppressed cells
    are free, zeros are not used). Closing rectangles keeps the pattern local instead of letting
    line-by-line fixes cascade across the table; `_protect_lines` then checks every line.
    """
    if ext.cell_rc is None:
        return []
    at = {rc: i for i, rc in enumerate(ext.cell_rc)}
    rows = sorted({r for r, _ in ext.cell_rc})
    cols = sorted({c for _, c in ext.cell_rc})
    added: list[int] = []

    def n_in_row(r: int) -> int:
        return sum(suppressed[at[(r, c)]] for c in cols if (r, c) in at)

    def n_in_col(c: int) -> int:
        return sum(suppressed[at[(r, c)]] for r in rows if (r, c) in at)

    primaries = sorted(
        (i for i in range(ext.n_cells) if suppressed[i]), key=lambda i: ext.values[i]
    )
    for i in primaries:
        r, c = ext.cell_rc[i]
        if n_in_row(r) >= 2 and n_in_col(c) >= 2:
            continue
        best: tuple[float, list[int]] | None = None
        for r2 in rows:
            if r2 == r:
                continue
            for c2 in cols:
                if c2 == c:
                    continue
                trio = [at.get((r, c2)), at.get((r2, c)), at.get((r2, c2))]
                if any(e is None or (ext.values[e] == 0 and not suppressed[e]) for e in trio):
                    continue
                cost = sum(ext.values[e] for e in trio if not suppressed[e])
                if best is None or cost < best[0]:
                    best = (cost, [e for e in trio if not suppressed[e]])
        if best is not None:
            for e in best[1]:
                suppressed[e] = True
                added.append(e)
    return added


def _given_margins(rows: pl.DataFrame, ext: _Extended, count: str) -> dict[int, dict[str, Any]]:
    """Locate precomputed margin rows (TOTAL in dimensions) and check their counts."""
    index = ext.index()
    given: dict[int, dict[str, Any]] = {}
    for rec in rows.iter_rows(named=True):
        rk = tuple(rec[d] for d in ext.row_dims)
        row_total = all(v == TOTAL for v in rk)
        if not row_total and any(v == TOTAL for v in rk):
            raise ValueError(f"disclose: partial {TOTAL!r} over row dimensions {ext.row_dims}")
        ck = rec[ext.cols] if ext.cols else None
        label = (None if row_total else rk, None if (not ext.cols or ck == TOTAL) else ck)
        if label not in index:
            raise ValueError(f"disclose: margin row {rec!r} matches no row or column of the table")
        e = index[label]
        if int(rec[count]) != ext.values[e]:
            raise ValueError(
                f"disclose: column {count!r}: margin row {label} does not equal the sum of "
                "its cells"
            )
        given[e] = rec
    return given


def _unknown(share: float | None) -> bool:
    return share is None or share != share  # None or NaN


def _magnitude_pattern(
    m: str,
    interior: pl.DataFrame,
    ext: _Extended,
    given: dict[int, dict[str, Any]],
    count_suppressed: list[bool],
    top_share: str | None,
    additive: bool,
    rules: DisclosureRules,
) -> tuple[list[Any], dict[int, str]]:
    """Values of magnitude ``m`` over the extended table and the rule that hides each entry.

    A margin of a non-additive column (a quantile) exists only in a precomputed margin row;
    otherwise it stays empty, which is not a suppression.
    """
    cell_vals = interior.get_column(m).to_list()
    cell_shares = interior.get_column(top_share).to_list() if top_share else [None] * ext.n_cells
    vals: list[Any] = list(cell_vals)
    shares: list[float | None] = list(cell_shares)
    available = [True] * ext.n_cells
    for j, cs in enumerate(ext.contributors):
        e = ext.n_cells + j
        rec = given.get(e)
        if additive:
            total = sum(cell_vals[i] for i in cs)
            if rec is not None and rec[m] is not None:
                if abs(rec[m] - total) > 1e-9 * max(1.0, abs(total)):
                    raise ValueError(
                        f"disclose: column {m!r}: margin row does not equal the sum of its cells"
                    )
            vals.append(total)
            available.append(True)
            if rec is not None and top_share:
                shares.append(rec[top_share])
            else:
                shares.append(
                    _margin_share_bound([cell_shares[i] for i in cs], [cell_vals[i] for i in cs])
                )
        else:
            vals.append(rec[m] if rec is not None else None)
            available.append(rec is not None)
            shares.append(rec[top_share] if rec is not None and top_share else None)
    rule: dict[int, str] = {}
    for e in range(ext.n_entries):
        if not available[e]:
            continue
        if count_suppressed[e]:
            rule[e] = "count_suppressed"
        elif ext.values[e] < rules.min_count_magnitude:
            rule[e] = "magnitude_threshold"
        elif top_share and (_unknown(shares[e]) or shares[e] > rules.dominance_k):
            rule[e] = "dominance"
    if additive:
        suppressed = [e in rule for e in range(ext.n_entries)]
        for e in _protect_lines(vals, suppressed, ext.lines, ext.margin_of, min_sum=None):
            rule[e] = "complementary"
    return vals, rule


def disclose(
    table: pl.DataFrame,
    *,
    count: str,
    rows: str | list[str],
    cols: str | None = None,
    magnitudes: list[str] | None = None,
    top_share: str | None = None,
    rules: DisclosureRules = DisclosureRules(),  # noqa: B008 — frozen, so a shared default is safe
    margins: bool | str = True,
    additive_magnitudes: list[str] | None = None,
    cell_key: str | None = None,
    population: dict[str, Any] | None = None,
    hide: pl.DataFrame | None = None,
    partition: bool | str = True,
) -> DisclosedTable:
    """Apply disclosure control to a long-format aggregate table (one row per cell).

    Counts: threshold rule, then complementary suppression so that every line of the extended
    table (cells + row/column/grand totals) has 0 or >= 2 suppressed entries and no published
    total reveals a small sum of suppressed cells. The pattern is always computed against the
    margins, even with ``margins=False`` (totals are usually published elsewhere);
    ``margins="rows"`` publishes only the row totals (for a 2-D table whose rows count the same
    people again, e.g. months after exit). Magnitudes:
    suppressed if the count is suppressed, below ``min_count_magnitude`` or dominated (top-n
    share > k, or unknown). Quantiles get no complementary suppression (not additive, so no
    subtraction recovers them); ``additive_magnitudes`` (sums) do. Margin rows carry TOTAL in
    the dimension columns; input rows with TOTAL are taken as precomputed margins (their count
    must equal the sum) and supply margin quantiles and top shares. ``top_share`` is never
    published. Suppressed values are null with a True ``{col}_suppressed`` flag.

    With ``rules.method == "cell_key"`` the counts are perturbed instead: ``cell_key`` names the
    column of cell keys (``cellkey.count_people``), a margin's key is the sum of its cells' keys
    mod 256 (the cells of a count table partition its people; a precomputed margin row may bring
    its own key), cells under the threshold are suppressed on their true value, and every other
    count is published as ``value + perturbation(value, key)`` (``cellkey``: at most
    ``MAX_PERTURBATION``, never below the threshold, zeros stay zero). The complementary pattern
    is still applied on top (``CELL_KEY_COMPLEMENTARY``): it keeps a reader from knowing which
    hidden cells are small, and the noise — the same for the same people in every table — stops
    the differencing across tables that suppression alone cannot (``audit`` measures both).
    Magnitude rules use the true counts. Tables in which one person can
    sit in several cells must not publish margins (``margins=False``) and say so
    (``partition=False`` or ``"rows"``). ``population`` says what
    the table counts (``audit.Population.to_json``) and goes into the ledger stamp.

    ``partition`` says which sums of cells count anyone: True (the cells partition the table's
    people, every margin is a real total), ``"rows"`` (each row's cells partition the row, but
    rows count the same people again, e.g. years: only row totals are real) or False (one
    person sits in several cells, e.g. competencies of a posting: no sum is a total). Only real
    totals are protected by complementary suppression: hiding a cell to protect a sum that no
    table can publish would hide in one table a count that another table prints.

    ``hide`` lists cells (values of the dimension columns, TOTAL for a margin) whose count
    another table of the same people hides (e.g. a wage table's head counts are a status table's
    "employed" column): they are hidden here too, before the pattern is completed, so that one
    table never prints what another one hides. Their magnitudes follow their own rules.
    """
    if margins not in (True, False, "rows"):
        raise ValueError(f"disclose: margins is True, False or 'rows', not {margins!r}")
    if partition not in (True, False, "rows"):
        raise ValueError(f"disclose: partition is True, False or 'rows', not {partition!r}")
    if (partition is False and margins is not False) or (partition == "rows" and margins is True):
        raise ValueError(
            "disclose: a table whose cells do not partition its people cannot publish sums that "
            "are no totals (partition=False needs margins=False; partition='rows' allows "
            "margins='rows' or False)"
        )
    if partition == "rows" and not cols:
        raise ValueError("disclose: partition='rows' needs a 2-D table (cols=...)")
    row_dims = [rows] if isinstance(rows, str) else list(rows)
    if not row_dims:
        raise ValueError("disclose: rows must name at least one column")
    dims = [*row_dims, *([cols] if cols else [])]
    additive = list(additive_magnitudes or [])
    mags = list(magnitudes or [])
    mags += [a for a in additive if a not in mags]
    if rules.method == "cell_key" and cell_key is None:
        raise ValueError(
            "disclose: rules.method is 'cell_key' but no cell_key column was given; count the "
            "people with cellkey.count_people and pass cell_key='cell_key'"
        )
    keyed = cell_key is not None
    _validate(table, count, dims, mags, additive, top_share, *([cell_key] if keyed else []))
    if keyed and table.get_column(cell_key).null_count():  # type: ignore[arg-type]
        raise ValueError(f"disclose: cell key column {cell_key!r} has nulls")
    if mags and top_share is None:
        warnings.warn(
            "disclose: magnitudes given without top_share; the dominance rule is not applied "
            "(compute it with magnitude_stats)",
            UserWarning,
            stacklevel=2,
        )
    if margins:
        table = table.with_columns(pl.col(d).cast(pl.String) for d in dims)
    is_total = [pl.col(d) == TOTAL for d in dims if table.schema[d] == pl.String]
    any_total = pl.any_horizontal(is_total) if is_total else pl.lit(False)
    # Cells in a stable order (by their keys, not as a group_by happened to emit them): the same
    # data then gets the same suppression pattern in every run, so two releases never differ in
    # which cells they hide (the difference would give hidden cells away).
    interior = table.filter(~any_total).sort(dims, nulls_last=True, maintain_order=True)
    ext = _extend(interior, count, row_dims, cols)
    given = _given_margins(table.filter(any_total), ext, count)
    protected = _real_totals(ext, partition)

    # Counts: threshold rule on the true values, then complementary suppression or perturbation.
    suppressed = [0 < v < rules.min_count for v in ext.values]
    count_rule = {e: "threshold" for e, s in enumerate(suppressed) if s}
    hidden_for_magnitudes = list(suppressed)
    labels = interior.select(pl.col(d).cast(pl.String) for d in dims).to_dicts()
    for rk, ck in ext.labels:
        lab = {d: (TOTAL if rk is None else str(rk[i])) for i, d in enumerate(row_dims)}
        if cols:
            lab[cols] = TOTAL if ck is None else str(ck)
        labels.append(lab)
    for e in _hidden_entries(hide, labels, dims):
        if not suppressed[e] and ext.values[e]:
            suppressed[e] = True
            count_rule[e] = "linked"
    perturb = rules.method == "cell_key"
    # no real total, no complement: the ledger then says every hidden count is a small one
    # (or one another table hides, which keeps the flag on)
    complementary = (not perturb or CELL_KEY_COMPLEMENTARY) and (
        bool(protected.lines) or "linked" in count_rule.values()
    )
    if complementary:
        for e in _protect_rectangles(protected, suppressed):
            count_rule[e] = "complementary"
            hidden_for_magnitudes[e] = True
        for e in _protect_lines(
            ext.values, suppressed, protected.lines, protected.margin_of, rules.min_count
        ):
            count_rule[e] = "complementary"
            hidden_for_magnitudes[e] = True
    published_counts: list[int] = ext.values
    if perturb:
        from talentlib import cellkey

        assert cell_key is not None  # checked above
        keys = _entry_keys(interior, table.filter(any_total), ext, cell_key)
        noise = cellkey.perturbation(ext.values, keys, rules.min_count)
        published_counts = [v + d for v, d in zip(ext.values, noise, strict=True)]
    patterns: dict[str, tuple[list[Any], dict[int, str]]] = {count: (published_counts, count_rule)}
    for m in mags:
        patterns[m] = _magnitude_pattern(
            m, interior, protected, given, hidden_for_magnitudes, top_share, m in additive, rules
        )

    # The published table: interior cells in key order, then the margins.
    def columns(lo: int, hi: int) -> list[pl.Series]:
        out = []
        for c, (vals, rule) in patterns.items():
            dtype = pl.Int64 if c == count else table.schema[c]
            out.append(
                pl.Series(c, [None if e in rule else vals[e] for e in range(lo, hi)]).cast(dtype)
            )
            out.append(pl.Series(f"{c}_suppressed", [e in rule for e in range(lo, hi)], pl.Boolean))
        return out

    published = interior.select(dims).with_columns(columns(0, ext.n_cells))
    # margins="rows": only each row's total (its cells partition the row's people, but the same
    # people recur in every row, e.g. months, so totals over rows would count them again)
    last = (
        ext.n_entries
        if margins is True
        else ext.n_cells + sum(rk is not None for rk, _ in ext.labels)
        if margins == "rows"
        else ext.n_cells
    )
    if last > ext.n_cells:
        margin_dims = pl.DataFrame(labels[ext.n_cells : last], schema={d: pl.String for d in dims})
        published = pl.concat(
            [published, margin_dims.with_columns(columns(ext.n_cells, last))],
            how="vertical_relaxed",
        )

    # The log: one row per suppressed (cell, column), never the hidden value. Without margins
    # only the published cells are logged, though the margins still shaped the pattern.
    messages = _messages(rules)
    log = pl.DataFrame(
        [
            {**labels[e], "column": c, "rule": rule[e], "message": messages[rule[e]]}
            for c, (_, rule) in patterns.items()
            for e in sorted(rule)
            if e < last
        ],
        schema={d: pl.String for d in dims}
        | {"column": pl.String, "rule": pl.String, "message": pl.String},
    )
    result = DisclosedTable(
        table=published,
        log=log,
        rules=rules,
        method=rules.method,
        max_perturbation=_max_perturbation(rules),
        complementary=complementary,
        population=population,
    )
    object.__setattr__(result, "_token", _DISCLOSE_TOKEN)
    object.__setattr__(result, "_fingerprint", _fingerprint(published))
    return result
