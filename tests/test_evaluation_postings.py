"""talentlib.evaluation.postings: metrics, the evaluation on a tiny synthetic set, the CLI."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from talentlib import training
from talentlib.evaluation import postings as ev
from talentlib.postings import tagger as tg


@pytest.fixture(scope="module")
def small_tagger() -> tg.CompetencyTagger:
    lines, labels = training.tagger_training_lines(n_postings=150, seed=4242)
    return tg.CompetencyTagger(augment=1).fit(lines, labels)


def test_tag_scores_micro_macro() -> None:
    truth = [["A", "B"], ["A"], []]
    pred = [["A"], ["A", "C"], []]
    s = ev.tag_scores(truth, pred)
    assert (s["tp"], s["fp"], s["fn"]) == (2, 1, 1)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    assert s["micro_f1"] == pytest.approx(2 / 3)
    # per code F1: A 1.0, B 0.0, C 0.0
    assert s["macro_f1"] == pytest.approx(1 / 3)
    g = ev.tag_scores([["BATT-EIS"]], [["BATT-CYCLE"]], level="group")
    assert g["micro_f1"] == 1.0  # same parent group (battery testing)


def test_attribute_accuracy() -> None:
    labels = [
        {"posting_id": "a", "education": "MASTER", "majors": ["화학공학", "화학"],
         "experience_min_years": 3},
        {"posting_id": "b", "education": "ANY", "majors": [], "experience_min_years": None},
    ]  # fmt: skip
    got = pl.DataFrame(
        {
            "posting_id": ["a", "b"],
            "education": ["MASTER", "BACHELOR"],
            "majors": [["CHEM", "CHEM_ENG"], None],
            "experience_min_years": [3, None],
        }
    )
    acc = ev.attribute_accuracy(labels, got)
    assert acc == {"education": 0.5, "majors": 1.0, "experience": 1.0}


def test_text_path_meets_synthetic_targets(
    tiny_data: Path, small_tagger: tg.CompetencyTagger, tmp_path: Path
) -> None:
    res = ev.evaluate_set(tiny_data, dataset="synthetic", tagger=small_tagger, ocr=False,
                          cache_dir=tmp_path)  # fmt: skip
    row = res.table.row(0, named=True)
    assert row["path"] == "text" and row["n_postings"] >= 30
    assert row["tag_micro_f1"] >= ev.TARGETS["text"]
    assert row["education_acc"] >= ev.TARGETS["education"]
    assert row["experience_acc"] >= ev.TARGETS["experience"]
    paths = ev.write(res, tmp_path / "out")
    md = paths["md"].read_text(encoding="utf-8")
    assert "역량 F1(micro)" in md and "Tag F1 (micro)" in md


@pytest.mark.slow
def test_ocr_path_on_a_few_images(
    tiny_data: Path, small_tagger: tg.CompetencyTagger, tmp_path: Path
) -> None:
    res = ev.evaluate_set(tiny_data, dataset="synthetic", tagger=small_tagger, ocr=True,
                          ocr_sample=3, max_native=1, cache_dir=tmp_path)  # fmt: skip
    ocr = res.table.filter(pl.col("path") == "ocr").row(0, named=True)
    assert ocr["n_postings"] == 4 and ocr["n_cer"] == 3
    assert 0 <= ocr["cer"] < 0.15  # tesseract kor+eng on the generator's scans: ~4 %
    assert ocr["tag_micro_f1"] >= 0.75  # 4 postings; the full run reports ~0.96


def test_cli_writes_the_table(tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              small_tagger: tg.CompetencyTagger) -> None:  # fmt: skip
    monkeypatch.setattr(tg, "load_or_fit", lambda *a, **k: small_tagger)
    out = tmp_path / "out"
    rc = ev.main(["--synthetic", str(tiny_data), "--no-handwritten", "--no-ocr",
                  "--cache-dir", str(tmp_path / "cache"), "--out", str(out), "--quiet"])  # fmt: skip
    assert rc == 0
    table = pl.read_parquet(out / "eval_postings.parquet")
    assert table["dataset"].to_list() == ["synthetic"]


def test_cli_error_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = ev.main(["--synthetic", str(tmp_path / "missing"), "--no-handwritten", "--no-ocr",
                  "--cache-dir", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    assert rc == 1
    err = capsys.readouterr().err
    assert "no labels.jsonl" in err and "Traceback" not in err


def test_open_vocab_scores_on_gold_mentions() -> None:
    labels = [
        {"posting_id": "a", "field_code": "BATT", "competencies": ["C-PY", "BATT-BMS"],
         "gold": [
             {"mention": "파이선", "norm": "python", "code": "C-PY", "section": "duty"},
             {"mention": "BMS", "norm": "bms", "code": "BATT-BMS", "section": "duty"},
             {"mention": "Zorblax 시뮬레이션", "norm": "zorblax 시뮬레이션", "code": None,
              "section": "required"},
             {"mention": "퀀텀글루", "norm": "퀀텀글루", "code": None, "section": "preferred"},
         ]},
    ]  # fmt: skip
    extracted = pl.DataFrame(
        {"posting_id": ["a"], "competencies": [["C-PY", "C-EMC"]],
         "mentions": [[{"text": "파이선", "norm": "파이선", "code": "C-PY", "section": "duty"},
                       {"text": "Zorblax", "norm": "zorblax", "code": None,
                        "section": "required"}]]}
    )  # fmt: skip
    s = ev.open_vocab_scores(labels, extracted)
    assert s["gold_mentions"] == 4
    assert s["false_tags"] == pytest.approx(0.5)  # C-EMC is not asked for
    assert s["mention_code_recall"] == pytest.approx(1 / 4)  # only C-PY of the four
    # C-PY by code, Zorblax by norm (generic head "시뮬레이션" dropped): 2 of 4
    assert s["mention_recall"] == pytest.approx(2 / 4)
    assert s["mention_precision"] == pytest.approx(1.0)
    assert s["coverage_gold"] == pytest.approx(0.5)
    assert s["coverage_correct"] == pytest.approx(1.0)  # 파이선 and BMS map to their codes
    assert ev.norm_match("aec-q100 인증", "aec-q100") and not ev.norm_match("pcb", "fpga")


def test_current_truth_reads_labels_with_todays_taxonomy() -> None:
    lab = {"field_code": "AI", "competencies": ["C-PY"],
           "gold": [{"mention": "Python", "norm": "python", "code": "C-PY", "section": "duty"},
                    {"mention": "PyTorch", "norm": "pytorch", "code": None, "section": "duty"},
                    {"mention": "Zorblax", "norm": "zorblax", "code": None, "section": "duty"}]}  # fmt: skip
    assert ev.current_truth(lab) == {"C-PY", "AI-PYTORCH"}


def test_open_vocab_columns_on_the_dev_set(small_tagger: tg.CompetencyTagger,
                                           tmp_path: Path) -> None:  # fmt: skip
    import json
    import shutil

    src = Path(__file__).parent / "fixtures" / "postings_dev"
    labels = [json.loads(x) for x in (src / "labels.jsonl").read_text("utf-8").splitlines()
              if x.strip()][:6]  # fmt: skip
    for lab in labels:
        shutil.copy(src / lab["file"], tmp_path / lab["file"])
    (tmp_path / "labels.jsonl").write_text(
        "\n".join(json.dumps(lab, ensure_ascii=False) for lab in labels), encoding="utf-8"
    )
    res = ev.evaluate_set(tmp_path, dataset="dev", tagger=small_tagger, ocr=False)
    row = res.table.row(0, named=True)
    assert row["n_postings"] == 6 and row["gold_mentions"] > 50
    assert row["mention_recall"] >= 0.6 and row["coverage"] is not None
    assert 0 <= row["false_tags"] <= 0.5
    # sets without gold mentions (the synthetic one) leave the columns empty
    assert ev.to_display(res.table, "en").columns[-1] == "Gold mentions with a code"


def test_proposer_scores_against_gold_mentions(tmp_path: Path) -> None:
    """The LLM's proposals and the rules' unmapped mentions scored against the gold: terms
    naming a gold mention, and gold mentions without a code that some term names."""
    from talentlib.postings.mentions import MentionExtractor

    gold = [{"mention": "Zorblax 튜닝", "norm": "zorblax 튜닝", "code": None, "section": "duty"},
            {"mention": "Python", "norm": "python", "code": "C-PY", "section": "required"}]  # fmt: skip
    assert MentionExtractor().map("Zorblax 튜닝")[0] is None  # not in the taxonomy
    labels = [{"posting_id": "P", "field_code": "AI", "gold": gold}]
    postings = pl.DataFrame(
        {"posting_id": ["P"], "text": ["[주요업무]\n- Zorblax 튜닝 및 운영\n- Python 개발"]}
    )
    extracted = pl.DataFrame(
        {"posting_id": ["P"],
         "mentions": [[{"text": "Python", "norm": "python", "code": "C-PY", "section": "duty"},
                       {"text": "운영 체계", "norm": "운영 체계", "code": None,
                        "section": "duty"}]]}
    )  # fmt: skip

    class Fake:
        name, prompt_version = "fake", "t1"

        def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
            line = prompt.rsplit("문장: ", 1)[1]
            # one right term, one invented (not in the line: dropped), one known (Python: dropped)
            return "Zorblax 튜닝, Blorp" if "Zorblax" in line else "Python"

    got = ev.proposer_scores(labels, postings, extracted, Fake(), cache_dir=tmp_path)
    rows = {r["source"]: r for r in got.to_dicts()}
    assert rows["rules"]["terms"] == 1 and rows["rules"]["precision"] == 0.0
    assert rows["rules"]["unmapped_gold"] == 1 and rows["rules"]["unmapped_recall"] == 0.0
    assert rows["llm"]["terms"] == 1 and rows["llm"]["precision"] == 1.0
    assert rows["llm"]["unmapped_recall"] == 1.0
    assert rows["rules+llm"]["terms"] == 2 and rows["rules+llm"]["precision"] == 0.5
