"""Tests for talentlib.privacy: pseudonymization and disclosure control (PII masking: test_pii.py)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentlib.privacy import (
    TOTAL,
    DisclosedTable,
    DisclosureRules,
    PseudonymizationKeyError,
    disclose,
    is_disclosed,
    magnitude_stats,
    pseudonymize,
    pseudonymize_frame,
)

KEY_ENV = "TALENTLIB_PSEUDONYM_KEY"
KEY = "0123456789abcdef0123456789abcdef"
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- pseudonymization


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def test_pseudonymize_is_keyed_hmac_and_deterministic(key: str) -> None:
    ids = pl.Series("person_id", ["A1", "B2", None, "A1"])
    out = pseudonymize(ids, domain="person")
    assert out.name == "person_id" and out.dtype == pl.String
    assert out.null_count() == 1 and out[2] is None
    assert out[0] == out[3] and out[0] != out[1]
    expected = hmac.new(key.encode(), b"person\x1fA1", hashlib.sha256).hexdigest()[:16]
    assert out[0] == expected
    assert pseudonymize(ids, domain="person").equals(out)


def test_pseudonymize_differs_by_key_domain_and_length(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = pl.Series("id", ["A1", "B2"])
    monkeypatch.setenv(KEY_ENV, KEY)
    a = pseudonymize(ids, domain="person")
    b = pseudonymize(ids, domain="employer")
    long = pseudonymize(ids, domain="person", length=64)
    monkeypatch.setenv(KEY_ENV, KEY[::-1])
    c = pseudonymize(ids, domain="person")
    assert not (a == b).any() and not (a == c).any()
    assert long.str.len_chars().to_list() == [64, 64] and long.str.starts_with(a[0]).any()
    assert a.str.contains(r"^[0-9a-f]{16}$").all()


def test_pseudonymize_long_key_matches_hmac(monkeypatch: pytest.MonkeyPatch) -> None:
    long_key = "k" * 100  # longer than the SHA-256 block: HMAC hashes it first
    monkeypatch.setenv(KEY_ENV, long_key)
    out = pseudonymize(pl.Series([12345]), domain="person", length=64)
    assert out[0] == hmac.new(long_key.encode(), b"person\x1f12345", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("value", [None, "", "short"])
def test_pseudonymize_without_key_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(PseudonymizationKeyError) as err:
        pseudonymize(pl.Series(["A1"]), domain="person")
    assert isinstance(err.value, RuntimeError)
    msg = str(err.value)
    assert f"export {KEY_ENV}=" in msg and "secrets.token_hex(32)" in msg


def test_pseudonymize_custom_env_and_bad_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("OTHER_KEY", KEY)
    assert pseudonymize(pl.Series(["x"]), domain="d", key_env="OTHER_KEY")[0] is not None
    with pytest.raises(PseudonymizationKeyError, match=KEY_ENV):
        pseudonymize(pl.Series(["x"]), domain="d")
    monkeypatch.setenv(KEY_ENV, KEY)
    for bad in (15, 65):
        with pytest.raises(ValueError, match="length"):
            pseudonymize(pl.Series(["x"]), domain="d", length=bad)
    with pytest.raises(ValueError, match="domain"):
        pseudonymize(pl.Series(["x"]), domain="")
    with pytest.raises(TypeError):
        pseudonymize(pl.Series([1.5]), domain="d")


def test_pseudonymize_frame(key: str) -> None:
    df = pl.DataFrame({"pid": ["p1", "p2"], "eid": ["p1", "e2"], "n": [1, 2]})
    out = pseudonymize_frame(df, {"pid": "person", "eid": "employer"}, length=20)
    assert out["n"].to_list() == [1, 2]
    assert out["pid"][0] != out["eid"][0]  # same raw id, different domains
    assert out["pid"].equals(pseudonymize(df["pid"], domain="person", length=20))
    with pytest.raises(ValueError, match="missing"):
        pseudonymize_frame(df, {"missing": "person"})


# --------------------------------------------------------------------------- disclosure control


def _lines_1d(out: pl.DataFrame, row: str, count: str) -> list[list[tuple[int, bool]]]:
    return [list(zip(out[count].fill_null(-1), out[f"{count}_suppressed"], strict=True))]


def _lines_2d(out: pl.DataFrame, row: str, col: str, count: str) -> list[list[tuple[int, bool]]]:
    """Every line of the extended table as (value, suppressed), margin last."""
    cells = {
        (r, c): (v, s)
        for r, c, v, s in out.select(row, col, count, f"{count}_suppressed")
        .fill_null(-1)
        .iter_rows()
    }
    rows = sorted({r for r, _ in cells} - {TOTAL}) + [TOTAL]
    cols = sorted({c for _, c in cells} - {TOTAL}) + [TOTAL]
    zero = (0, False)  # absent cells are zeros
    lines = [[cells.get((r, c), zero) for c in cols] for r in rows]
    lines += [[cells.get((r, c), zero) for r in rows] for c in cols]
    return lines


def _check_lines(lines: list[list[tuple[int, bool]]], true_lines: list[list[int]], mc: int) -> None:
    for line, truth in zip(lines, true_lines, strict=True):
        n_supp = sum(s for _, s in line)
        assert n_supp == 0 or n_supp >= 2, (line, truth)
        # the suppressed cells of a line with a published margin do not add up to a small count
        if n_supp and not line[-1][1]:
            hidden = sum(t for (_, s), t in zip(line[:-1], truth[:-1], strict=True) if s)
            assert hidden == 0 or hidden >= mc


def _check_published(out: pl.DataFrame, count: str, mc: int) -> None:
    pub = out.filter(~pl.col(f"{count}_suppressed"))[count]
    assert pub.null_count() == 0
    assert not ((pub > 0) & (pub < mc)).any()
    assert (
        out.filter(pl.col(f"{count}_suppressed"))[count].null_count()
        == out[f"{count}_suppressed"].sum()
    )


small_counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@FAST
@given(counts=st.lists(small_counts, min_size=1, max_size=10), mc=st.integers(1, 12))
def test_disclose_1d_properties(counts: list[int], mc: int) -> None:
    table = pl.DataFrame({"field": [f"f{i:02d}" for i in range(len(counts))], "n": counts})
    res = disclose(table, count="n", rows="field", rules=DisclosureRules(min_count=mc))
    out = res.table
    assert out.height == len(counts) + 1 and out["field"][-1] == TOTAL
    _check_published(out, "n", mc)  # (a) and (d): the configured threshold holds
    truth = [*counts, sum(counts)]
    _check_lines(_lines_1d(out, "field", "n"), [truth], mc)  # (b)
    for v, s, t in zip(out["n"], out["n_suppressed"], truth, strict=True):  # (c)
        if not s:
            assert v == t
        else:
            assert t > 0  # zeros are never suppressed
    assert is_disclosed(res)
    no_margin = disclose(
        table, count="n", rows="field", rules=DisclosureRules(min_count=mc), margins=False
    )
    assert no_margin.table.equals(
        out.head(len(counts)).with_columns(pl.col("field").cast(pl.String))
    )


@st.composite
def tables_2d(draw: st.DrawFn) -> tuple[pl.DataFrame, int]:
    n_rows, n_cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    recs = []
    for r in range(n_rows):
        for c in range(n_cols):
            v = draw(small_counts)
            if v == 0 and draw(st.booleans()):
                continue  # sparse long format: an absent cell is a zero
            recs.append((f"r{r}", f"c{c}", v))
    if not recs:
        recs = [("r0", "c0", 0)]
    df = pl.DataFrame(recs, schema=["field", "state", "n"], orient="row")
    return df, draw(st.integers(1, 12))


@FAST
@given(tables_2d())
def test_disclose_2d_properties(case: tuple[pl.DataFrame, int]) -> None:
    table, mc = case
    res = disclose(table, count="n", rows="field", cols="state", rules=DisclosureRules(mc))
    out = res.table
    _check_published(out, "n", mc)
    # truth of the extended table
    full = table.pivot(on="state", index="field", values="n")
    rows = sorted(table["field"].unique())
    cols = sorted(table["state"].unique())
    m = {(r, c): v for r, c, v in table.iter_rows()}
    truth_cells = {(r, c): m.get((r, c), 0) for r in rows for c in cols}
    for r in rows:
        truth_cells[(r, TOTAL)] = sum(m.get((r, c), 0) for c in cols)
    for c in cols:
        truth_cells[(TOTAL, c)] = sum(m.get((r, c), 0) for r in rows)
    truth_cells[(TOTAL, TOTAL)] = int(table["n"].sum())
    assert full.height == len(rows)
    rr, cc = [*rows, TOTAL], [*cols, TOTAL]
    true_lines = [[truth_cells[(r, c)] for c in cc] for r in rr]
    true_lines += [[truth_cells[(r, c)] for r in rr] for c in cc]
    _check_lines(_lines_2d(out, "field", "state", "n"), true_lines, mc)
    for r, c, v, s in out.iter_rows():
        if not s:
            assert v == truth_cells[(r, c)]
        else:
            assert truth_cells[(r, c)] > 0
    assert out.height == table.height + len(rows) + len(cols) + 1
    assert set(res.log["rule"].unique()) <= {"threshold", "complementary"}
    assert res.log.height == int(out["n_suppressed"].sum())


def test_min_count_is_configurable() -> None:
    table = pl.DataFrame({"field": ["a", "b", "c"], "n": [7, 30, 40]})
    default = disclose(table, count="n", rows="field")
    strict = disclose(table, count="n", rows="field", rules=DisclosureRules(min_count=10))
    assert default.table["n_suppressed"].sum() == 0
    assert strict.table["n_suppressed"].to_list() == [True, True, False, False]
    assert strict.log["rule"].to_list() == ["threshold", "complementary"]
    assert strict.rules.min_count == 10


def test_single_suppressed_cell_with_zero_neighbours_suppresses_margins() -> None:
    # row r0 has one small cell and zeros: only its row total can protect it
    table = pl.DataFrame(
        {"field": ["r0", "r0", "r1", "r1"], "state": ["a", "b", "a", "b"], "n": [3, 0, 20, 30]}
    )
    out = disclose(table, count="n", rows="field", cols="state").table
    flags = {(r, c): s for r, c, _, s in out.iter_rows()}
    assert flags[("r0", "a")] and flags[("r0", TOTAL)]
    assert not flags[("r0", "b")]  # zeros are never complements


def test_magnitude_rules() -> None:
    table = pl.DataFrame(
        {
            "field": ["small", "dominated", "ok", "tiny", "tiny2"],
            "n": [9, 12, 12, 3, 4],  # the two tiny cells protect each other
            "wage_p50": [4000.0, 5000.0, 6000.0, 3000.0, 3100.0],
            "wage_top_share": [0.3, 0.9, 0.3, 0.3, 0.3],
        }
    )
    res = disclose(
        table, count="n", rows="field", magnitudes=["wage_p50"], top_share="wage_top_share"
    )
    out = res.table.filter(pl.col("field") != TOTAL)
    order = ["small", "dominated", "ok", "tiny", "tiny2"]
    by = {r["field"]: r for r in out.iter_rows(named=True)}
    assert [by[f]["n_suppressed"] for f in order] == [False, False, False, True, True]
    assert [by[f]["wage_p50"] for f in order] == [None, None, 6000.0, None, None]
    assert [by[f]["wage_p50_suppressed"] for f in order] == [True, True, False, True, True]
    assert "wage_top_share" not in res.table.columns  # never published
    rules = {
        f: r for f, c, r in res.log.select("field", "column", "rule").iter_rows() if c == "wage_p50"
    }
    assert rules["small"] == "magnitude_threshold"
    assert rules["dominated"] == "dominance"
    assert rules["tiny"] == "count_suppressed"
    # a margin median needs microdata (see magnitude_stats margins=): empty, not suppressed
    total = res.table.filter(pl.col("field") == TOTAL)
    assert total["n"].item() == 40 and total["wage_p50"].item() is None
    assert not total["wage_p50_suppressed"].item()


def test_dominance_k_boundary_and_unknown_share() -> None:
    table = pl.DataFrame(
        {"g": ["a", "b", "c"], "n": [12, 12, 12], "w": [1.0, 2.0, 3.0], "ts": [0.85, 0.86, None]}
    )
    out = disclose(table, count="n", rows="g", magnitudes=["w"], top_share="ts").table
    assert out["w_suppressed"].to_list()[:3] == [False, True, True]


def test_magnitudes_without_top_share_warn() -> None:
    table = pl.DataFrame({"g": ["a", "b"], "n": [12, 20], "w": [1.0, 2.0]})
    with pytest.warns(UserWarning, match="top_share"):
        out = disclose(table, count="n", rows="g", magnitudes=["w"]).table
    assert out["w"].to_list() == [1.0, 2.0, None]  # margin median unknown, not suppressed
    assert out["w_suppressed"].to_list() == [False, False, False]


def test_additive_magnitudes_get_complementary_suppression() -> None:
    table = pl.DataFrame(
        {
            "g": ["a", "b", "c"],
            "n": [12, 15, 40],
            "wage_sum": [100.0, 200.0, 900.0],
            "ts": [0.95, 0.3, 0.2],
        }
    )
    res = disclose(table, count="n", rows="g", additive_magnitudes=["wage_sum"], top_share="ts")
    out = res.table
    assert out["n_suppressed"].sum() == 0
    assert out["wage_sum_suppressed"].to_list() == [True, True, False, False]
    assert out["wage_sum"].to_list() == [None, None, 900.0, 1200.0]
    log = res.log.filter(pl.col("column") == "wage_sum")
    assert log["rule"].to_list() == ["dominance", "complementary"]


def test_precomputed_margins_from_magnitude_stats() -> None:
    rng = np.random.default_rng(0)
    micro = pl.DataFrame(
        {
            "field": rng.choice(["AI", "BIO"], 200).tolist(),
            "state": rng.choice(["ind", "acad"], 200).tolist(),
            "wage": rng.lognormal(8, 0.3, 200),
        }
    )
    stats = magnitude_stats(micro, ["field", "state"], "wage", margins=[["field"], ["state"], []])
    mags = ["wage_p25", "wage_p50", "wage_p75"]
    res = disclose(
        stats,
        count="n_people",
        rows="field",
        cols="state",
        magnitudes=mags,
        top_share="wage_top_share",
    )
    grand = res.table.filter((pl.col("field") == TOTAL) & (pl.col("state") == TOTAL))
    assert grand["n_people"].item() == 200
    assert grand["wage_p50"].item() == pytest.approx(float(np.quantile(micro["wage"], 0.5)))
    bad = stats.with_columns(
        pl.when(pl.col("field") == TOTAL)
        .then(pl.col("n_people") + 1)
        .otherwise("n_people")
        .alias("n_people")
    )
    with pytest.raises(ValueError, match="n_people"):
        disclose(
            bad,
            count="n_people",
            rows="field",
            cols="state",
            magnitudes=mags,
            top_share="wage_top_share",
        )


def test_magnitude_stats_matches_numpy() -> None:
    wages = {"a": [3000.0, 3500.0, 4100.0, 5000.0, 12000.0], "b": [2500.0, 2600.0, None]}
    micro = pl.DataFrame(
        {
            "g": [g for g, ws in wages.items() for _ in ws],
            "wage": [w for ws in wages.values() for w in ws],
        }
    )
    stats = magnitude_stats(micro, ["g"], "wage")
    assert stats.columns == ["g", "n_people", "wage_p25", "wage_p50", "wage_p75", "wage_top_share"]
    for g, ws in wages.items():
        x = np.array([w for w in ws if w is not None])
        row = stats.filter(pl.col("g") == g).row(0, named=True)
        assert row["n_people"] == len(x)
        for q in (25, 50, 75):
            assert row[f"wage_p{q}"] == pytest.approx(np.percentile(x, q))
        assert row["wage_top_share"] == pytest.approx(np.sort(x)[-2:].sum() / x.sum())
    odd = magnitude_stats(micro, ["g"], "wage", quantiles=(0.9, 0.025), n=1)
    assert "wage_p90" in odd.columns and "wage_p2_5" in odd.columns


def test_display_and_is_disclosed() -> None:
    table = pl.DataFrame({"field": ["a", "b", "c"], "n": [2, 30, 40]})
    res = disclose(table, count="n", rows="field")
    ko = res.display()
    assert ko.columns == ["field", "n"]
    assert ko["n"].to_list()[:2] == ["비공개", "비공개"] and ko["field"][-1] == "합계"
    en = res.display(lang="en")
    assert en["n"][0] == "suppressed" and en["field"][-1] == "Total"
    assert is_disclosed(res)
    assert not is_disclosed(res.table) and not is_disclosed(table) and not is_disclosed(None)
    forged = DisclosedTable(table=res.table, log=res.log, rules=res.rules)
    assert not is_disclosed(forged)
    res.table[0, "n"] = 2  # tampering after disclose breaks the seal
    assert not is_disclosed(res)
    assert "rule" not in res.public_log().columns


@pytest.mark.parametrize(
    ("table", "kwargs", "match"),
    [
        (pl.DataFrame({"f": ["a"], "n": [1]}), {"count": "cnt", "rows": "f"}, "cnt"),
        (pl.DataFrame({"f": ["a"], "n": [1]}), {"count": "n", "rows": "g"}, "'g'"),
        (pl.DataFrame({"f": ["a", "b"], "n": [1, -1]}), {"count": "n", "rows": "f"}, "'n'"),
        (pl.DataFrame({"f": ["a", "a"], "n": [1, 2]}), {"count": "n", "rows": "f"}, "f"),
        (
            pl.DataFrame({"f": ["a"], "n": [1], "wage_max": [9.0]}),
            {"count": "n", "rows": "f"},
            "wage_max",
        ),
        (
            pl.DataFrame({"f": ["a"], "n": [1]}),
            {"count": "n", "rows": "f", "magnitudes": ["w"]},
            "'w'",
        ),
        (pl.DataFrame({"f": [None, "b"], "n": [1, 2]}), {"count": "n", "rows": "f"}, "'f'"),
    ],
)
def test_disclose_validates_input(table: pl.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        disclose(table, **kwargs)


def test_disclose_integer_dims_and_multiple_row_dims() -> None:
    table = pl.DataFrame(
        {
            "field": ["AI", "AI", "BIO", "BIO"],
            "year": [2023, 2024, 2023, 2024],
            "state": ["x", "x", "x", "x"],
            "n": [10, 3, 20, 25],
        }
    )
    res = disclose(table, count="n", rows=["field", "year"], cols="state")
    assert res.table.schema["year"] == pl.String
    assert res.table.filter(pl.col("field") == TOTAL)["year"].to_list() == [TOTAL, TOTAL]
    kept = disclose(table, count="n", rows=["field", "year"], cols="state", margins=False)
    assert kept.table.schema["year"] == pl.Int64 and kept.table.height == 4
    assert kept.table["n_suppressed"].to_list() == res.table["n_suppressed"].to_list()[:4]


def test_disclose_edge_cases() -> None:
    empty = pl.DataFrame(schema={"f": pl.String, "n": pl.Int64})
    out = disclose(empty, count="n", rows="f").table
    assert out.rows() == [(TOTAL, 0, False)]
    nan_share = pl.DataFrame(
        {"g": ["a", "b"], "n": [20, 30], "w": [1.0, 2.0], "ts": [float("nan"), 0.2]}
    )
    out = disclose(nan_share, count="n", rows="g", magnitudes=["w"], top_share="ts").table
    assert out["w_suppressed"].to_list()[:2] == [True, False]  # NaN share is unknown: hidden
    partial = pl.DataFrame({"a": ["x", TOTAL], "b": ["y", "y"], "n": [10, 10]})
    with pytest.raises(ValueError, match="partial"):
        disclose(partial, count="n", rows=["a", "b"])
    with pytest.raises(ValueError):
        DisclosureRules(dominance_k=1.5)


def test_the_same_data_in_any_row_order_gets_the_same_suppression_pattern() -> None:
    """Two runs must never hide different cells (the difference would give them away)."""
    import numpy as np

    rng = np.random.default_rng(3)
    rows = [f"r{i}" for i in range(6)]
    cols = [f"c{j}" for j in range(5)]
    table = pl.DataFrame(
        {
            "r": [r for r in rows for _ in cols],
            "c": [c for _ in rows for c in cols],
            "n": rng.choice([0, 1, 2, 3, 6, 8, 12, 30], size=len(rows) * len(cols)).tolist(),
        }
    )
    patterns = set()
    for seed in range(6):
        shuffled = table.sample(fraction=1.0, shuffle=True, seed=seed)
        t = disclose(shuffled, count="n", rows="r", cols="c").table
        patterns.add(tuple(sorted(t.filter(pl.col("n_suppressed")).select("r", "c").iter_rows())))
    assert len(patterns) == 1 and patterns.pop()  # one pattern, and it hides something


# --------------------------------------------------------------------------- cell-key method

CK = DisclosureRules(method="cell_key", cell_key_salt="test-release")


def _people_frame(n: int = 400, seed: int = 5) -> pl.DataFrame:
    """n people by degree and state; exactly 3 of them high-school graduates."""
    rng = np.random.default_rng(seed)
    degree = ["HS"] * 3 + rng.choice(["PHD", "MASTER", "BACHELOR"], n - 3).tolist()
    state = rng.choice(["employed", "no_insured_job", "not_observed"], n, p=[0.7, 0.27, 0.03])
    return pl.DataFrame(
        {"researcher_id": [f"R{i:05d}" for i in range(n)], "degree": degree, "state": state}
    )


def test_cell_key_perturbs_counts_within_d_and_never_below_the_threshold() -> None:
    from talentlib import cellkey

    people = _people_frame()
    counts = cellkey.count_people(people, ["degree", "state"], ids="researcher_id", salt="s")
    t = disclose(counts, count="people", rows="degree", cols="state", rules=CK, cell_key="cell_key")
    assert is_disclosed(t) and "cell_key" not in t.table.columns
    assert (t.method, t.max_perturbation) == ("cell_key", cellkey.MAX_PERTURBATION)
    truth = counts.select("degree", "state", "people", "cell_key")
    got = t.table.join(truth, on=["degree", "state"], how="left", suffix="_true")
    cells = got.filter(pl.col("people_true").is_not_null())
    small = cells.filter(pl.col("people_true") < CK.min_count)
    assert small.height and small["people_suppressed"].all()  # under the threshold: hidden
    pub = cells.filter(~pl.col("people_suppressed"))
    assert ((pub["people"] - pub["people_true"]).abs() <= cellkey.MAX_PERTURBATION).all()
    assert (pub["people"] >= CK.min_count).all()
    # each published value is the p-table's answer for its own true count and key
    expect = [
        v + d
        for v, d in zip(
            pub["people_true"],
            cellkey.perturbation(pub["people_true"].to_list(), pub["cell_key"].to_list(), 5),
            strict=True,
        )
    ]
    assert pub["people"].to_list() == expect
    # the grand total is perturbed on its own key: everybody's record keys, summed
    everyone = cellkey.count_people(people, [], ids="researcher_id", salt="s")
    n, k = everyone["people"][0], everyone["cell_key"][0]
    total = t.table.filter((pl.col("degree") == TOTAL) & (pl.col("state") == TOTAL))["people"][0]
    assert total == n + cellkey.perturbation([n], [k], 5)[0]
    assert t.stamp()["rules"]["max_perturbation"] == cellkey.MAX_PERTURBATION


def test_cell_key_gives_the_same_people_the_same_value_in_every_table() -> None:
    from talentlib import cellkey

    people = _people_frame()
    by_degree = disclose(
        cellkey.count_people(people, ["degree"], ids="researcher_id", salt="s"),
        count="people",
        rows="degree",
        rules=CK,
        cell_key="cell_key",
    ).table
    cross = disclose(
        cellkey.count_people(people.reverse(), ["state", "degree"], ids="researcher_id", salt="s"),
        count="people",
        rows="state",
        cols="degree",
        rules=CK,
        cell_key="cell_key",
    ).table
    # a degree's cell in one table is a column total of the other: the same people, same value
    margin = cross.filter(pl.col("state") == TOTAL).select("degree", "people").sort("degree")
    assert by_degree.select("degree", "people").sort("degree").equals(margin)


def test_cell_key_needs_keys_and_keeps_complementary_cells() -> None:
    from talentlib import cellkey

    counts = cellkey.count_people(_people_frame(), ["degree"], ids="researcher_id", salt="s")
    with pytest.raises(ValueError, match="cell_key"):
        disclose(counts.drop("cell_key"), count="people", rows="degree", rules=CK)
    t = disclose(counts, count="people", rows="degree", rules=CK, cell_key="cell_key")
    # HS is under the threshold; a second cell hides it from total - the rest (belt and braces)
    assert t.complementary and t.table["people_suppressed"].sum() >= 2
    # under suppression the keys are accepted and ignored: exact counts
    exact = disclose(counts, count="people", rows="degree", cell_key="cell_key")
    assert exact.max_perturbation == 0 and "cell_key" not in exact.table.columns


def test_hide_carries_another_tables_pattern_and_margins_rows() -> None:
    counts = pl.DataFrame({"d": ["a", "b", "c", "e"], "n": [40, 30, 25, 60]})
    t = disclose(counts, count="n", rows="d", hide=pl.DataFrame({"d": ["b"]}))
    hidden = t.table.filter(pl.col("n_suppressed"))["d"].to_list()
    assert "b" in hidden and len(hidden) >= 2  # completed like any pattern
    assert set(t.log["rule"]) == {"linked", "complementary"}
    grid = pl.DataFrame(
        {"m": ["0", "0", "3", "3"], "s": ["x", "y", "x", "y"], "n": [20, 30, 25, 25]}
    )
    rows_only = disclose(grid, count="n", rows="m", cols="s", margins="rows").table
    totals = rows_only.filter(pl.col("s") == TOTAL)
    assert totals["m"].to_list() == ["0", "3"] and totals["n"].to_list() == [50, 50]
    assert rows_only.filter(pl.col("m") == TOTAL).height == 0  # no totals over months
    with pytest.raises(ValueError, match="margins"):
        disclose(grid, count="n", rows="m", cols="s", margins="cols")


def test_partition_false_hides_only_small_cells() -> None:
    """Cells that overlap (competencies of one posting) have no real total: nothing is hidden to
    protect their sum, so a count one table prints is never a complement in another, and the
    ledger says every hidden count is a small one."""
    table = pl.DataFrame({"code": ["a", "b", "c", "d"], "n": [3, 6, 40, 7]})
    rules = DisclosureRules(min_count=5, method="suppression")
    summed = disclose(table, count="n", rows="code", rules=rules, margins=False)
    assert summed.table["n_suppressed"].to_list() == [True, True, False, False]  # b protects a
    assert summed.complementary
    alone = disclose(table, count="n", rows="code", rules=rules, margins=False, partition=False)
    assert alone.table["n_suppressed"].to_list() == [True, False, False, False]
    assert alone.table["n"].to_list()[1:] == [6, 40, 7]
    assert not alone.complementary
    # a cell another table hides is still hidden, and then the flag stays on (it may be large)
    linked = disclose(
        table, count="n", rows="code", rules=rules, margins=False, partition=False,
        hide=pl.DataFrame({"code": ["c"]}),
    )  # fmt: skip
    assert linked.table["n_suppressed"].to_list() == [True, False, True, False]
    assert linked.complementary
    with pytest.raises(ValueError, match="partition=False needs margins=False"):
        disclose(table, count="n", rows="code", rules=rules, partition=False)
    with pytest.raises(ValueError, match="needs a 2-D table"):
        disclose(table, count="n", rows="code", rules=rules, margins=False, partition="rows")


def test_partition_rows_protects_row_totals_only() -> None:
    """Years × degree: each year's cells partition that year's people (its total is published
    elsewhere), but a column summed over years counts person-years and protects nothing."""
    table = pl.DataFrame(
        {
            "year": ["2022", "2022", "2023", "2023"],
            "deg": ["phd", "ms", "phd", "ms"],
            "n": [30, 3, 35, 40],
        }
    )
    rules = DisclosureRules(min_count=5, method="suppression")
    full = disclose(table, count="n", rows="year", cols="deg", rules=rules, margins=False)
    rows = disclose(
        table, count="n", rows="year", cols="deg", rules=rules, margins=False, partition="rows"
    )
    # both protect 2022's total (two hidden cells in its row) ...
    assert rows.table.filter(pl.col("year") == "2022")["n_suppressed"].to_list() == [True, True]
    # ... but only the full pattern hides a 2023 cell for the meaningless column sums
    assert full.table.filter(pl.col("year") == "2023")["n_suppressed"].any()
    assert not rows.table.filter(pl.col("year") == "2023")["n_suppressed"].any()
