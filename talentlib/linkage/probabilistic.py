"""Probabilistic linkage fallback: researchers ↔ insured persons on pseudonymized quasi-identifiers.

The main path joins on the combination agency's key table (``talentlib.linkage.keyed``). When
data arrive without one, only quasi-identifiers are shared (birth year, sex, region and keyed
hashes of surname, given name and birth month-day), and the standard answer is a Fellegi–Sunter
model: blocking rules to keep the comparisons tractable, m/u probabilities estimated by EM (u by
random sampling), match weights and a threshold. Splink implements exactly that on DuckDB, so
this module only holds the settings (as data, ``probabilistic_settings.yaml``), a one-to-one
resolution, a clerical-review sample and the evaluation against a known truth.

Splink and DuckDB are imported inside the functions that need them (``talentlib[linkage]``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import polars as pl
import yaml

__all__ = [
    "SETTINGS_PATH",
    "ProbabilisticResult",
    "default_settings",
    "evaluate_links",
    "probabilistic_link",
    "resolve_one_to_one",
]

SETTINGS_PATH = Path(__file__).with_name("probabilistic_settings.yaml")
_LEFT, _RIGHT = "researchers", "ei_persons"  # Splink source_dataset names
_STRING_COLUMNS_EXCEPT = ("birth_year",)  # every other QI column is compared as text


@dataclass
class ProbabilisticResult:
    """What one probabilistic linkage run produced.

    ``links``: one row per accepted pair (left id, right id, match_probability, match_weight),
    at most one per id on each side. ``candidates``: every scored pair with match probability at
    least min(threshold, clerical low), same columns, before resolution (to choose a threshold:
    ``resolve_one_to_one(candidates.filter(pl.col("match_probability") >= t))``). ``settings``: the full settings document with the trained
    model and the run's parameters, JSON-serialisable, to store beside the links and to re-run
    with ``train=False``. ``clerical_review``: a sample of borderline candidate pairs with their
    comparison levels (never values). ``report``: counts and seconds per stage.
    """

    links: pl.DataFrame
    settings: dict[str, Any]
    clerical_review: pl.DataFrame
    candidates: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def default_settings() -> dict[str, Any]:
    """The default settings document (a fresh copy of ``probabilistic_settings.yaml``)."""
    with open(SETTINGS_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _merge(base: dict[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """``override``'s sections replace ``base``'s key by key, one level deep."""
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **copy.deepcopy(dict(v))}
        else:
            out[k] = copy.deepcopy(v)
    return out


def _prepare(df: pl.DataFrame, id_col: str, columns: Sequence[str], side: str) -> pl.DataFrame:
    """Check one side and reduce it to ``unique_id`` + the compared columns, typed for Splink."""
    missing = [c for c in (id_col, *columns) if c not in df.columns]
    if missing:
        raise ValueError(
            f"probabilistic_link: the {side} table lacks column(s) {', '.join(missing)}; "
            "validate it against its data contract (qi_researchers / qi_ei_persons) first"
        )
    if df.height == 0:
        raise ValueError(f"probabilistic_link: the {side} table is empty; nothing to link")
    ids = df.get_column(id_col)
    if ids.null_count() or ids.n_unique() != df.height:
        raise ValueError(
            f"probabilistic_link: {id_col!r} in the {side} table must be non-null and unique"
        )
    return df.select(
        pl.col(id_col).cast(pl.String).alias("unique_id"),
        *(pl.col(c).cast(pl.Int64 if c in _STRING_COLUMNS_EXCEPT else pl.String) for c in columns),
    )


def _level_labels(splink_settings: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison-vector value → label, per comparison, by Splink's numbering.

    Splink numbers a comparison's null level -1 and its other levels from n-1 (the first
    listed) down to 0 (the last, usually ELSE).
    """
    out: dict[str, dict[int, str]] = {}
    for comp in splink_settings["comparisons"]:
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels = {-1: "missing"}
        for i, lv in enumerate(non_null):
            labels[len(non_null) - 1 - i] = str(lv.get("label_for_charts") or i)
        out[comp["output_column_name"]] = labels
    return out


def resolve_one_to_one(
    pairs: pl.DataFrame,
    *,
    left_id: str = "researcher_id",
    right_id: str = "ei_person_id",
    weight: str = "match_weight",
) -> pl.DataFrame:
    """Keep at most one pair per left id and per right id, best weight first.

    Rounds of mutually-best pairs (best for both its ids; ties go to the lowest ids, so the
    result is deterministic) are accepted and their ids removed, until no pair is left. This is
    the greedy best-first matching: the best remaining pair is always mutually best.
    """
    rest = pairs
    kept: list[pl.DataFrame] = []
    while rest.height:
        best_l = rest.sort([weight, right_id], descending=[True, False]).unique(
            left_id, keep="first"
        )
        best_r = rest.sort([weight, left_id], descending=[True, False]).unique(
            right_id, keep="first"
        )
        mutual = best_l.join(best_r.select(left_id, right_id), on=[left_id, right_id])
        kept.append(mutual)
        rest = rest.join(mutual.select(left_id), on=left_id, how="anti").join(
            mutual.select(right_id), on=right_id, how="anti"
        )
    out = pl.concat(kept) if kept else pairs.clear()
    return out.sort([weight, left_id], descending=[True, False])


def probabilistic_link(
    left: pl.DataFrame,
    right: pl.DataFrame,
    *,
    settings: Mapping[str, Any] | None = None,
    threshold: float = 0.9,
    left_id: str = "researcher_id",
    right_id: str = "ei_person_id",
    train: bool = True,
    progress: bool = False,
) -> ProbabilisticResult:
    """Link ``left`` (researchers) to ``right`` (insured persons) on quasi-identifiers with Splink.

    ``settings`` overrides the defaults of ``probabilistic_settings.yaml`` section by section
    (see that file for every choice and why). With ``train=True`` the prior is estimated from
    deterministic rules, u by random sampling and m by EM; with ``train=False`` the m/u
    probabilities and the prior in ``settings["splink"]`` are used as they are (pass the
    ``settings`` of an earlier result to re-apply its model). Pairs with match probability
    ``>= threshold`` are accepted and resolved one-to-one.
    """
    if left_id == right_id:
        raise ValueError("left_id and right_id must differ (they name the output columns)")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a probability strictly between 0 and 1: {threshold}")
    doc = _merge(default_settings(), settings)
    columns = list(doc["columns"])
    clerical = doc["clerical_review"]
    lo, hi = float(clerical["low"]), float(clerical["high"])
    if not 0.0 < lo < hi <= 1.0:
        raise ValueError(f"clerical_review needs 0 < low < high <= 1, got {lo} and {hi}")
    left_in = _prepare(left, left_id, columns, "left")
    right_in = _prepare(right, right_id, columns, "right")

    try:
        import duckdb
        import splink
        from splink import DuckDBAPI, Linker
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(
            "probabilistic_link needs Splink and DuckDB: pip install 'talentlib[linkage]'"
        ) from e
    from tqdm.auto import tqdm

    timings: dict[str, float] = {}
    n_stages = 2 + (2 + len(doc["training"]["em_blocking_rules"]) if train else 0)
    bar = tqdm(total=n_stages, desc="probabilistic linkage", unit="step", disable=not progress)
    t = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = round(now - t, 3)
        t = now
        bar.set_postfix_str(stage)
        bar.update(1)

    con = duckdb.connect(":memory:")
    engine = doc.get("duckdb") or {}
    if engine.get("threads"):
        con.execute(f"SET threads = {int(engine['threads'])}")
    if engine.get("memory_limit"):
        con.execute("SET memory_limit = ?", [str(engine["memory_limit"])])
    try:
        db = DuckDBAPI(con)
        sdf_l = db.register(left_in.to_arrow(), dataset_display_name=_LEFT)
        sdf_r = db.register(right_in.to_arrow(), dataset_display_name=_RIGHT)
        linker = Linker([sdf_l, sdf_r], doc["splink"], log_level=None)
        if train:
            tr = doc["training"]
            linker.training.estimate_probability_two_random_records_match(
                list(tr["prior"]["deterministic_rules"]), recall=float(tr["prior"]["recall"])
            )
            done("prior")
            linker.training.estimate_u_using_random_sampling(
                max_pairs=float(tr["u_max_pairs"]), seed=int(tr["seed"])
            )
            done("u")
            for i, rule in enumerate(tr["em_blocking_rules"]):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule,
                    max_pairs=float(tr["em_max_pairs"]) if tr.get("em_max_pairs") else None,
                    record_sample_proportion=float(tr.get("em_probe_proportion", 0.01)),
                    estimate_without_term_frequencies=bool(
                        tr.get("em_without_term_frequencies", False)
                    ),
                )
                done(f"em_{i + 1}")
        floor = min(threshold, lo)
        predictions = linker.inference.predict(
            threshold_match_probability=floor, warning_mode="never" if train else "auto"
        )
        gammas = [f"gamma_{c['output_column_name']}" for c in doc["splink"]["comparisons"]]
        rel = predictions.as_duckdbpyrelation().select(
            ", ".join(
                [
                    f"CASE WHEN source_dataset_l = '{_LEFT}' THEN unique_id_l ELSE unique_id_r "
                    f"END AS {left_id}",
                    f"CASE WHEN source_dataset_l = '{_LEFT}' THEN unique_id_r ELSE unique_id_l "
                    f"END AS {right_id}",
                    "match_probability",
                    "match_weight",
                    *gammas,
                ]
            )
        )
        candidates = cast(pl.DataFrame, pl.from_arrow(rel.to_arrow_table()))
        model = linker.misc.save_model_to_json()
        done("predict")
    finally:
        con.close()

    candidates = candidates.with_columns(
        pl.col(left_id, right_id).cast(pl.String),
        pl.col("match_probability", "match_weight").cast(pl.Float64),
    ).sort([left_id, right_id])
    if doc.get("resolution", "one_to_one") == "one_to_one":
        links = resolve_one_to_one(
            candidates.filter(pl.col("match_probability") >= threshold),
            left_id=left_id,
            right_id=right_id,
        )
    else:
        links = candidates.filter(pl.col("match_probability") >= threshold)
    links = links.select(left_id, right_id, "match_probability", "match_weight")

    labels = _level_labels(doc["splink"])
    band = candidates.filter(pl.col("match_probability").is_between(lo, hi, closed="left"))
    n_band = band.height
    if band.height > int(clerical["sample_size"]):
        band = band.sample(int(clerical["sample_size"]), seed=int(clerical["seed"]))
    review = (
        band.join(
            links.select(left_id, right_id, pl.lit(True).alias("linked")),
            on=[left_id, right_id],
            how="left",
        )
        .select(
            left_id,
            right_id,
            "match_probability",
            "match_weight",
            pl.col("linked").fill_null(False),
            *(
                pl.col(f"gamma_{name}")
                .cast(pl.Int64)
                .replace_strict(mapping, default=None, return_dtype=pl.String)
                .alias(f"{name}_level")
                for name, mapping in labels.items()
            ),
        )
        .sort(["match_probability", left_id, right_id], descending=[True, False, False])
    )
    done("resolve")
    bar.close()

    model.pop("linker_uid", None)  # a random per-run tag, not part of the model
    report = {
        "left_rows": left_in.height,
        "right_rows": right_in.height,
        "candidate_pairs": candidates.height,  # scored pairs with probability >= min(threshold, low)
        "pairs_above_threshold": int((candidates["match_probability"] >= threshold).sum()),
        "links": links.height,
        "borderline_pairs": n_band,
        "clerical_sample": review.height,
        "seconds": timings,
    }
    out_settings = {
        **doc,
        "splink": model,
        "threshold": threshold,
        "trained": train,
        "versions": {"splink": splink.__version__, "duckdb": duckdb.__version__},
    }
    return ProbabilisticResult(
        links=links,
        settings=out_settings,
        clerical_review=review,
        candidates=candidates.select(left_id, right_id, "match_probability", "match_weight"),
        report=report,
    )


def evaluate_links(
    links: pl.DataFrame,
    true_pairs: pl.DataFrame,
    *,
    on: Sequence[str] = ("researcher_id", "ei_person_id"),
) -> dict[str, Any]:
    """Precision, recall and F1 of ``links`` against the true pairs (both frames hold ``on``).

    ``n`` is the number of links. A measure whose denominator is zero is None (undefined), not 0.
    """
    keys = list(on)
    got = links.select(keys).unique()
    truth = true_pairs.select(keys).unique()
    tp = got.join(truth, on=keys, how="semi").height
    precision = tp / got.height if got.height else None
    recall = tp / truth.height if truth.height else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "n": got.height,
        "n_true": truth.height,
        "true_positives": tp,
        "false_positives": got.height - tp,
        "false_negatives": truth.height - tp,
    }
