"""Competency tagger: which codes of the competency taxonomy a posting (or a line) asks for.

Four signals, combined per (line, code) candidate:

1. **Exact** surface forms (ko, en, synonyms) with the reference semantics of the synthetic
   labels (``talentlib.postings.matcher.CompetencyMatcher``): Hangul ignores spaces, Latin needs
   word boundaries and is case-folded, the longest overlapping mention wins. On clean text the
   tagger never disagrees with it: an exact match scores 1.0 and nothing else is added unless the
   other signals are sure.
2. **Fuzzy** matching with rapidfuzz on OCR-safe keys: Hangul decomposed into letters (jamo), so
   리튬→리틈 costs one letter, and Latin folded over tesseract's confusions (0/o, 1/l/I, 5/s).
3. **Morphology** with kiwipiepy (loaded once): runs of nouns (compound nouns, including Latin
   tokens) are compared whole to the surface forms, which tolerates spacing errors and keeps a
   match on word boundaries.
4. A **line classifier** (scikit-learn: character n-gram TF-IDF + one-vs-rest logistic
   regression) trained on labelled lines from synthetic postings, each also copied through an
   OCR noise channel (``OcrNoise``) whose rates were measured on tesseract output of rendered
   synthetic postings.

A small logistic regression (the *combiner*) turns the non-exact signals of a candidate into a
probability; ``threshold`` decides, and candidates inside the ``uncertain`` band are sent to the
LLM when a backend is set (``talentlib.postings.llm``, imported only then). A fitted tagger is
persisted by ``load_or_fit`` under a cache folder keyed by the taxonomy version, so warm runs
skip training; ``extract`` runs sections → rules → tags over ingested postings with a
per-posting result cache.

With ``open_vocab`` (default) ``tag_lines`` also reads every line's open-vocabulary mentions
(``talentlib.postings.mentions``): homonyms are read in the posting's field (ADC in a chip
posting is a converter, not an antibody–drug conjugate), whole mentions are matched through
morphology and typing slips on typed text too ("제어 설계", "파이선"), and mentions without a
code are kept, so ``extract`` lists what a posting asks for even where the taxonomy is silent.

The module holds the estimator; what it reads with lives beside it: ``lexicon`` (OCR-safe keys,
surface forms, exact matches, noun phrases), ``ocr_noise`` (training lines and their OCR noise
channel), ``section_tags`` (which sections are tagged, ``tag_sections``).

Why one module: ``CompetencyTagger`` is one scikit-learn estimator (~600 lines) whose fitting,
scoring, reading of OCR lines and decisions share its fitted state, and ``extract`` is the
one loop that runs it over postings with its cache; split, its private helpers would cross.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy
from talentlib.postings import char_tfidf
from talentlib.postings.lexicon import (
    FOLD,
    MIN_FUZZY_KEY,
    Lexicon,
    exact_codes,
    fuzzy_key,
    lexicon,
    noun_phrases,
    repair_ocr,
    squeeze,
)
from talentlib.postings.ocr_noise import OcrNoise, training_lines
from talentlib.postings.section_tags import (
    BODY_SECTIONS,
    TAGS_SCHEMA,
    tag_sections,
)

__all__ = [
    "BODY_SECTIONS",
    "TAGGER_VERSION",
    "CompetencyTagger",
    "OcrNoise",
    "extract",
    "fuzzy_key",
    "lexicon",
    "load_or_fit",
    "noun_phrases",
    "repair_ocr",
    "tag_sections",
    "training_lines",
]

TAGGER_VERSION = "1"
# How scored lines become tags (OCR lines read as typed unless a form is a slip away, 회사소개
# never tagged, n_uncertain counted): part of ``extract``'s cache key, not of the fitted model's,
# so a change here invalidates cached extractions without retraining.
READING_VERSION = "2"
# The synthetic training set: a seed of its own, never the evaluation sets' seeds.
TRAINING_SEED = 97_531
TRAINING_POSTINGS = 900


# --------------------------------------------------------------------------------------------
# The tagger
# --------------------------------------------------------------------------------------------

_FEATURES = ("p_model", "fuzzy", "morph", "fuzzy_edits", "morph_edits", "ocr", "latin", "key_len")


def _as_flags(ocr: bool | Sequence[bool], n: int) -> list[bool]:
    if isinstance(ocr, bool | np.bool_):
        return [bool(ocr)] * n
    flags = [bool(x) for x in ocr]
    if len(flags) != n:
        raise ValueError(f"ocr: {len(flags)} flags for {n} texts")
    return flags


class CompetencyTagger:
    """Tags lines or whole texts with competency codes (scikit-learn shape).

    Settings are plain constructor arguments; ``fit`` does the work. ``fit(lines, labels)`` trains
    the line classifier and the combiner on labelled lines (clean and OCR-noised copies);
    ``predict(texts, ocr=...)`` returns sorted codes per text, ``predict_proba`` a code → score
    dict per text (exact matches score 1.0). A text may hold many lines; each is tagged and the
    scores are maxed. Pass ``ocr=True`` (per text or for all) for text read by OCR: fuzzy and
    morphological candidates are then generated for every line, not only for the classifier's,
    and kept where a form of their code is in the line a slip away; the line is otherwise read
    as typed text (``_read_ocr_as_typed``).
    """

    def __init__(
        self,
        taxonomy_name: str = "competencies",
        *,
        use_fuzzy: bool = True,
        use_morph: bool = True,
        use_model: bool = True,
        threshold: float = 0.5,
        uncertain: tuple[float, float] = (0.3, 0.7),
        fuzzy_cutoff: float = 82.0,
        model_cutoff: float = 0.08,
        augment: int = 2,
        typos: bool = False,
        noise: OcrNoise | None = None,
        alpha: float = 1e-6,
        llm: Any = None,
        llm_cache_dir: str | Path | None = None,
        random_state: int = 0,
        open_vocab: bool = True,
    ) -> None:
        self.taxonomy_name = taxonomy_name
        self.use_fuzzy = use_fuzzy
        self.use_morph = use_morph
        self.use_model = use_model
        self.threshold = threshold
        self.uncertain = uncertain
        self.fuzzy_cutoff = fuzzy_cutoff
        self.model_cutoff = model_cutoff
        self.augment = augment
        self.typos = typos
        self.noise = noise
        self.alpha = alpha
        self.llm = llm
        self.llm_cache_dir = llm_cache_dir
        self.random_state = random_state
        self.open_vocab = open_vocab

    # -- settings --------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's settings (read from its signature, so they are listed once); a
        tagger pickled before a setting existed reports that setting's default."""
        import inspect

        params = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k, p.default) for k, p in params.items() if k != "self"}

    def set_params(self, **params: Any) -> CompetencyTagger:
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"CompetencyTagger has no setting {k!r}")
            setattr(self, k, v)
        return self

    def fingerprint(self) -> str:
        """What changes the tags: versions, taxonomy, settings (not the LLM, cached apart)."""
        p = {k: v for k, v in self.get_params().items() if k not in ("llm", "llm_cache_dir")}
        p["noise"] = repr(p["noise"] or OcrNoise())
        body = json.dumps(
            {"v": TAGGER_VERSION, "taxonomy": taxonomy.version(self.taxonomy_name), **p},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def lexicon_(self) -> Lexicon:
        return lexicon(self.taxonomy_name)

    # -- pickling: the matcher, kiwi and the lexicon are rebuilt, not stored ----------------
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_backend", "_W_dense")}

    # -- fitting ---------------------------------------------------------------------------
    def _noised(
        self, lines: Sequence[str], labels: Sequence[Sequence[str]], copies: int | None = None
    ) -> tuple[list[str], list[list[str]], list[bool]]:
        rng = np.random.default_rng(self.random_state)
        noise = self.noise or OcrNoise()
        xs, ys, flags = list(lines), [list(y) for y in labels], [False] * len(lines)
        for _ in range(self.augment if copies is None else copies):
            for line, y in zip(lines, labels, strict=True):
                xs.append(noise(line, rng))
                ys.append(list(y))
                flags.append(True)
        if self.typos:
            # typed text with typos (one letter off in a Hangul word, a space more or less)
            typo = OcrNoise.typing()
            for line, y in zip(lines, labels, strict=True):
                t = typo(line, rng)
                if t != line:
                    xs.append(t)
                    ys.append(list(y))
                    flags.append(False)
        return xs, ys, flags

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            min_df=2,
            max_features=60_000,
            sublinear_tf=True,
            preprocessor=_model_text,
            dtype=np.float32,
        )

    def fit(
        self, X: Sequence[str], y: Sequence[Sequence[str]], *, verbose: bool = False
    ) -> CompetencyTagger:
        """Train on labelled lines: ``X`` lines, ``y`` the codes each line mentions."""
        t0 = time.perf_counter()
        if len(X) != len(y):
            raise ValueError(f"fit: {len(X)} lines but {len(y)} label lists")
        known = set(self.lexicon_.codes)
        bad = sorted({c for codes in y for c in codes} - known)
        if bad:
            raise ValueError(f"fit: labels not in taxonomy {self.taxonomy_name!r}: {bad[:10]}")
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(X))
        n_hold = max(1, len(X) // 5) if len(X) >= 10 else 0
        hold, train = order[:n_hold], order[n_hold:]
        self.classes_: list[str] = []
        self.model_: Any = None
        if self.use_model:
            xs, ys, _ = self._noised([X[i] for i in train], [y[i] for i in train])
            self._fit_model(xs, ys)
        self.combiner_: Any = None
        if n_hold:
            xs, ys, flags = self._noised(
                [X[i] for i in hold], [y[i] for i in hold], copies=max(self.augment, 3)
            )
            self._fit_combiner(xs, ys, flags)
        self.n_lines_ = len(X)
        self.fit_seconds_ = round(time.perf_counter() - t0, 2)
        if verbose:
            print(f"tagger fitted on {len(X)} lines in {self.fit_seconds_} s")
        return self

    def _fit_model(self, xs: list[str], ys: list[list[str]]) -> None:
        from scipy import sparse
        from sklearn.linear_model import SGDClassifier

        counts: dict[str, int] = {}
        for codes in ys:
            for c in codes:
                counts[c] = counts.get(c, 0) + 1
        classes = sorted(c for c, n in counts.items() if n >= 3)
        vec = self._vectorizer()
        Xm = vec.fit_transform(xs)
        col = {c: j for j, c in enumerate(classes)}
        Y = np.zeros((len(xs), len(classes)), dtype=np.int8)
        for i, codes in enumerate(ys):
            for c in codes:
                if c in col:
                    Y[i, col[c]] = 1
        coefs, intercepts = [], []
        for j in range(len(classes)):
            # logistic loss by SGD: ~0.1 s a code where liblinear takes ~1 s, same scores here
            lr = SGDClassifier(
                loss="log_loss",
                alpha=self.alpha,
                max_iter=15,
                tol=None,
                random_state=self.random_state,
            )
            lr.fit(Xm, Y[:, j])
            w = lr.coef_.ravel().astype(np.float32)
            w[np.abs(w) < 0.02] = 0.0  # sparse weights: small model, fast scoring
            coefs.append(sparse.csr_matrix(w))
            intercepts.append(float(lr.intercept_[0]))
        self.classes_ = classes
        self.model_ = {
            "vectorizer": vec,
            "W": sparse.vstack(coefs).T.tocsr() if coefs else None,
            "b": np.asarray(intercepts, dtype=np.float32),
        }

    def _fit_combiner(self, xs: list[str], ys: list[list[str]], flags: list[bool]) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        feats, target = [], []
        for line_cands, truth in zip(self._candidates(xs, flags), ys, strict=True):
            t = set(truth)
            for code, f in line_cands.items():
                if f is None:  # exact
                    continue
                feats.append(f)
                target.append(int(code in t))
        if len(set(target)) < 2:
            return
        # gradient boosting: the evidence is not additive (a 0.9 partial match means much for a
        # 20-letter form, nothing for a 5-letter one)
        gb = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=10,
            random_state=self.random_state,
        )  # fmt: skip
        gb.fit(np.asarray(feats, dtype=np.float64), np.asarray(target))
        self.combiner_ = gb
        self.combiner_n_ = len(target)

    # -- candidates and features ------------------------------------------------------------
    def _model_scores(self, lines: Sequence[str]) -> tuple[list[dict[str, float]], Any]:
        """Per line the classes with probability ≥ model_cutoff, and a function p(i, code) for
        any other (line, class). Dense probabilities are made 4,096 lines at a time."""
        n = len(lines)
        if self.model_ is None or not self.classes_ or not n or not self.use_model:
            return [{} for _ in range(n)], lambda i, c: None
        Xm = char_tfidf.transform(self.model_["vectorizer"], lines)
        W, b = self.model_["W"], self.model_["b"]
        # The weights dense (~50 MB, made once): sparse rows times a dense matrix add the same
        # products in the same order as the sparse product, 4x faster.
        Wd = getattr(self, "_W_dense", None)
        if Wd is None or Wd.shape != W.shape:
            Wd = self._W_dense = W.toarray()
        out: list[dict[str, float]] = [{} for _ in range(n)]
        for start in range(0, n, 4096):
            z = Xm[start : start + 4096] @ Wd + b
            p = 1.0 / (1.0 + np.exp(-z))
            rows, cols = np.nonzero(p >= self.model_cutoff)
            for r, j in zip(rows.tolist(), cols.tolist(), strict=True):
                out[start + r][self.classes_[j]] = float(p[r, j])
        ci = self._class_index()
        Wc = W.tocsc()

        def p_of(i: int, code: str) -> float | None:
            j = ci.get(code)
            if j is None:
                return None
            z = float((Xm[i] @ Wc[:, j]).toarray()[0, 0]) + float(b[j])
            return 1.0 / (1.0 + math.exp(-z))

        return out, p_of

    def _candidates(
        self, lines: Sequence[str], ocr: Sequence[bool]
    ) -> list[dict[str, list[float] | None]]:
        """Per line: code -> None (exact match) or the feature vector of a non-exact candidate."""
        from rapidfuzz import fuzz

        lex = self.lexicon_
        n = len(lines)
        exact: list[set[str]] = []
        for line, o in zip(lines, ocr, strict=True):
            codes = set(exact_codes(line, self.taxonomy_name))
            if o:
                fixed = repair_ocr(line)
                codes |= exact_codes(fixed, self.taxonomy_name)
                codes |= exact_codes(squeeze(fixed), self.taxonomy_name)
            exact.append(codes)
        scores, p_of = self._model_scores(lines)
        model_cands = [
            {c: v for c, v in d.items() if c not in ex} for d, ex in zip(scores, exact, strict=True)
        ]
        # Fuzzy and morphological candidates for OCR text; for typed text only with ``typos``
        # (measured: no gain on the hand-written set, 15x slower), else only the classifier's
        # candidates are scored there.
        deep = [o or self.typos for o in ocr]
        # a line's key is read only there and for its candidates' features
        keys = [
            fuzzy_key(repair_ocr(x) if o else x) if d or m else ""
            for x, o, d, m in zip(lines, ocr, deep, model_cands, strict=True)
        ]
        fuzzy_cands: list[set[str]] = [set() for _ in range(n)]
        if self.use_fuzzy:
            for i in range(n):
                if not deep[i] or len(keys[i]) < MIN_FUZZY_KEY:
                    continue
                for k in lex.shortlist(keys[i]):
                    c = lex.key_code[k]
                    if c in exact[i] or c in fuzzy_cands[i]:
                        continue
                    score = fuzz.partial_ratio(lex.keys[k], keys[i])
                    if score >= self.fuzzy_cutoff and _partial_ok(lex.keys[k], keys[i], score):
                        fuzzy_cands[i].add(c)
        need_morph = [
            self.use_morph and deep[i] and bool(ocr[i] or model_cands[i] or fuzzy_cands[i])
            for i in range(n)
        ]
        phrases: list[list[str]] = [[] for _ in range(n)]
        idx = [i for i in range(n) if need_morph[i]]
        if idx:
            for i, ph in zip(idx, noun_phrases([lines[i] for i in idx]), strict=True):
                phrases[i] = [k for k in (fuzzy_key(p) for p in ph) if len(k) >= MIN_FUZZY_KEY]
        morph_cands: list[set[str]] = [set() for _ in range(n)]
        for i in range(n):
            if not deep[i]:
                continue
            for pk in phrases[i]:
                for k in lex.shortlist(pk):
                    key = lex.keys[k]
                    c = lex.key_code[k]
                    if c in exact[i] or abs(len(key) - len(pk)) > 0.25 * len(key):
                        continue
                    if fuzz.ratio(key, pk) >= self.fuzzy_cutoff:
                        morph_cands[i].add(c)

        out: list[dict[str, list[float] | None]] = []
        for i in range(n):
            d: dict[str, list[float] | None] = dict.fromkeys(exact[i])
            for c in set(model_cands[i]) | fuzzy_cands[i] | morph_cands[i]:
                d[c] = self._features(
                    c, keys[i], phrases[i], model_cands[i].get(c), ocr[i], p_of, i
                )
            out.append(d)
        return out

    def _features(
        self,
        code: str,
        line_key: str,
        phrases: list[str],
        p_model: float | None,
        ocr: bool,
        p_of: Any,
        i: int,
    ) -> list[float]:
        """Features of a non-exact candidate (see _FEATURES): the classifier's probability, the
        best partial (fuzzy) and whole-phrase (morph) similarity of the code's surface forms,
        how many letters those matches miss, the form's length and script, OCR or not."""
        from rapidfuzz import fuzz

        lex = self.lexicon_
        if p_model is None:
            p_model = p_of(i, code)
        best_f = best_m = 0.0
        edits_f = edits_m = 20.0
        latin = klen = 0.0
        for k in lex.code_keys.get(code, ()):
            key = lex.keys[k]
            f = fuzz.partial_ratio(key, line_key) / 100
            if not _partial_ok(key, line_key, f * 100):
                f = 0.0
            mm = max((fuzz.ratio(key, ph) / 100 for ph in phrases), default=0.0)
            if f and (1 - f) * len(key) < edits_f:
                edits_f = (1 - f) * len(key)
            if mm and (1 - mm) * len(key) < edits_m:
                edits_m = (1 - mm) * len(key)
            if max(f, mm) > max(best_f, best_m):
                latin, klen = float(lex.key_latin[k]), float(min(len(key), 30))
            best_f, best_m = max(best_f, f), max(best_m, mm)
        return [p_model or 0.0, best_f, best_m, edits_f, edits_m, float(ocr), latin, klen]

    def _class_index(self) -> dict[str, int]:
        ci = getattr(self, "_ci", None)
        if ci is None or len(ci) != len(self.classes_):
            ci = {c: j for j, c in enumerate(self.classes_)}
            self._ci = ci
        return ci

    # -- prediction ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "combiner_"):
            raise RuntimeError(
                "CompetencyTagger is not fitted; call fit(lines, labels) or use "
                "tagger.load_or_fit(cache_dir)"
            )

    def score_lines(
        self, lines: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> list[dict[str, float]]:
        """Per line: code -> score in [0, 1] for every candidate (exact matches 1.0)."""
        self._check_fitted()
        flags = _as_flags(ocr, len(lines))
        # identical lines are scored once (postings repeat phrases)
        uniq: dict[tuple[str, bool], int] = {}
        for line, o in zip(lines, flags, strict=True):
            uniq.setdefault((line, o), len(uniq))
        u_lines = [k[0] for k in uniq]
        u_flags = [k[1] for k in uniq]
        cands = self._candidates(u_lines, u_flags)
        if any(u_flags):
            cands = self._read_ocr_as_typed(u_lines, u_flags, cands)
        scored: list[dict[str, float]] = [
            {c: 1.0 for c, f in d.items() if f is None} for d in cands
        ]
        rows = [(i, c, f) for i, d in enumerate(cands) for c, f in d.items() if f is not None]
        if rows:  # one batch through the combiner (a call costs ~15 ms, whatever its size)
            feats = np.asarray([f for _, _, f in rows], dtype=np.float64)
            if self.combiner_ is not None:
                # on one thread: a few thousand rows take ~15 ms there, and OpenMP's threads
                # cost more than they save (0.25-1 s on a busy 2-core machine); same scores
                from threadpoolctl import threadpool_limits

                with threadpool_limits(1, user_api="openmp"):
                    p = self.combiner_.predict_proba(feats)[:, 1]
            else:
                p = np.max([feats[:, 0], feats[:, 1] ** 4, feats[:, 2] ** 4], axis=0)
            for (i, c, _), v in zip(rows, p.tolist(), strict=True):
                scored[i][c] = round(float(v), 4)
        return [scored[uniq[(line, o)]] for line, o in zip(lines, flags, strict=True)]

    def _read_ocr_as_typed(
        self,
        lines: Sequence[str],
        ocr: Sequence[bool],
        cands: list[dict[str, list[float] | None]],
    ) -> list[dict[str, list[float] | None]]:
        """OCR lines are read like typed text except where OCR visibly damaged a form.

        The OCR reading of a line (fuzzy and morphological candidates, features scored as OCR)
        is kept for a code only when one of its forms is in the line a slip away
        (``_slip_backed``); any other candidate of the line is scored as on typed text. Measured
        on the development set: tagged as OCR output, its clean text got ~70 false tags more
        than as text, nearly all loose resemblances ("케이블링" → 라벨링, a cell "해석" → CAE
        해석) that the classifier's synthetic vocabulary made the combiner believe."""
        idx = [i for i, o in enumerate(ocr) if o and any(f is not None for f in cands[i].values())]
        if not idx:
            return cands
        typed = self._candidates([lines[i] for i in idx], [False] * len(idx))
        out = list(cands)
        phrase_keys = self._phrase_keys([lines[i] for i in idx])
        for j, i in enumerate(idx):
            line_key = fuzzy_key(repair_ocr(lines[i]))
            d = {c: f for c, f in cands[i].items()
                 if f is None or self._slip_backed(c, line_key, phrase_keys[j])}  # fmt: skip
            for c, f in typed[j].items():
                d.setdefault(c, f)
            out[i] = d
        return out

    def _phrase_keys(self, lines: Sequence[str]) -> list[list[str]]:
        """Fuzzy keys of each OCR line's noun phrases (after repair_ocr), long enough to match."""
        return [
            [k for k in (fuzzy_key(p) for p in ph) if len(k) >= MIN_FUZZY_KEY]
            for ph in noun_phrases([repair_ocr(x) for x in lines])
        ]

    def _slip_backed(self, code: str, line_key: str, phrase_keys: Sequence[str]) -> bool:
        """Whether a form of ``code`` is in the line with at most a slip: partially in the
        line's key (``_fuzzy_hit``) or whole as one of its noun phrases (``_slip``)."""
        from rapidfuzz import fuzz

        lex = self.lexicon_
        for k in lex.code_keys.get(code, ()):
            key = lex.keys[k]
            al = fuzz.partial_ratio_alignment(key, line_key)
            if _fuzzy_hit(key, line_key, al.score / 100) and _latin_intact(
                key, line_key[al.dest_start : al.dest_end]
            ):
                return True
            for pk in phrase_keys:
                if (
                    abs(len(key) - len(pk)) <= 0.25 * len(key)
                    and _slip(key, fuzz.ratio(key, pk) / 100)
                    and _latin_intact(key, pk)
                ):
                    return True
        return False

    def backend(self) -> Any:
        if self.llm is None:
            return None
        if isinstance(self.llm, str):
            b = getattr(self, "_backend_obj", None)
            if b is None:
                from talentlib.postings import llm as llm_mod

                b = llm_mod.get_backend(self.llm)
                self._backend_obj = b
            return b
        return self.llm

    def mention_extractor(self) -> Any:
        """The open-vocabulary mention extractor over the same taxonomy (postings.mentions)."""
        from talentlib.postings.mentions import MentionExtractor

        return MentionExtractor(self.taxonomy_name)

    def tag_lines(
        self,
        lines: Sequence[str],
        ocr: bool | Sequence[bool] = False,
        *,
        fields: Sequence[str | None] | None = None,
        groups: Sequence[Any] | None = None,
        sections: Sequence[str] | None = None,
    ) -> tuple[list[list[str]], list[list[Any]], list[int]]:
        """(codes kept per line, mentions per line, candidates per line in the ``uncertain``
        band: what the LLM is asked about when a backend is set).

        ``decide_lines``, then, with ``open_vocab``, the mentions of each line
        (postings.mentions): codes that a homonym's field and cues read otherwise are dropped
        (ADC in a chip posting is no antibody), and codes that only morphological or fuzzy
        matching of a whole mention finds are added ("제어 설계" → 제어기 설계, "파이선" →
        Python). ``fields`` (the posting's field per line) and ``groups`` (posting ids: the
        lines around a line, within its posting, are its context) inform the homonyms."""
        flags = _as_flags(ocr, len(lines))
        scores, kept, _ = self.decide_lines(lines, flags)
        lo, hi = self.uncertain
        n_asked = [sum(lo <= v < hi for v in s.values()) for s in scores]
        if not self.get_params()["open_vocab"]:
            return kept, [[] for _ in lines], n_asked
        from talentlib.postings.mentions import neighbours

        ext = self.mention_extractor()
        n = len(lines)
        fl = list(fields) if fields is not None else [None] * n
        gr = list(groups) if groups is not None else list(range(n))
        mentions = ext.transform(lines, fields=fl, ocr=flags, groups=gr, sections=sections)
        out: list[list[str]] = []
        for i, line in enumerate(lines):
            rejected, _ = ext.rejected_codes(line, field=fl[i], context=neighbours(lines, gr, i))
            codes = set(kept[i]) - rejected
            codes |= {m.code for m in mentions[i] if m.code and m.how != "exact"}
            out.append(sorted(codes))
        return out, mentions, n_asked

    def decide_lines(
        self, lines: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> tuple[list[dict[str, float]], list[list[str]], int]:
        """(scores per line, codes kept per line, number of candidates sent to the LLM).

        A candidate is kept when its score reaches ``threshold``; with an LLM backend, those in
        the ``uncertain`` band are kept exactly when the LLM picks them for their line. (Closed
        vocabulary: ``tag_lines`` adds the open-vocabulary mentions.)
        """
        scores = self.score_lines(lines, ocr)
        lo, hi = self.uncertain
        backend = self.backend()
        kept: list[list[str]] = []
        asks: list[tuple[int, list[str]]] = []
        for i, s in enumerate(scores):
            sure = [c for c, v in s.items() if v >= (hi if backend else self.threshold)]
            kept.append(sure)
            if backend is not None:
                unsure = sorted(c for c, v in s.items() if lo <= v < hi)
                if unsure:
                    asks.append((i, unsure))
        if asks:
            from talentlib.postings import llm as llm_mod

            lex = self.lexicon_
            try:
                picked = llm_mod.suggest_competencies(
                    backend,
                    [lines[i] for i, _ in asks],
                    [[lex.candidate(c) for c in cs] for _, cs in asks],
                    cache_dir=self.llm_cache_dir,
                )
            except Exception as e:  # noqa: BLE001 - the LLM adds recall; it never stops tagging
                import warnings

                warnings.warn(
                    f"LLM backend failed ({type(e).__name__}: {e}); using the threshold",
                    RuntimeWarning,
                    stacklevel=2,
                )
                picked = [[c for c in cs if scores[i][c] >= self.threshold] for i, cs in asks]
            for (i, cs), chosen in zip(asks, picked, strict=True):
                kept[i].extend(c for c in chosen if c in cs)
        return scores, [sorted(set(k)) for k in kept], sum(len(cs) for _, cs in asks)

    def predict_proba(
        self, texts: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> list[dict[str, float]]:
        """Per text (one or many lines): code -> max score over its lines."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        out: list[dict[str, float]] = [{} for _ in texts]
        for i, s in zip(owner, self.score_lines(lines, lflags), strict=True):
            for c, v in s.items():
                if v > out[i].get(c, -1.0):
                    out[i][c] = v
        return out

    def predict(self, texts: Sequence[str], ocr: bool | Sequence[bool] = False) -> list[list[str]]:
        """Per text: the sorted codes it asks for (``tag_lines``: with ``open_vocab`` also the
        codes of mentions matched through morphology or a typing slip, which ``predict_proba``
        does not score, and without the codes homonyms rule out)."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        out: list[set[str]] = [set() for _ in texts]
        kept, _, _ = self.tag_lines(lines, lflags, groups=owner)
        for i, codes in zip(owner, kept, strict=True):
            out[i].update(codes)
        return [sorted(s) for s in out]

    def uncertain_lines(
        self, texts: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> pl.DataFrame:
        """Candidates in the uncertain band (text index, line, code, score): what an LLM or a
        curator would look at."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        lo, hi = self.uncertain
        rows = [
            {"text_index": i, "line": line, "code": c, "score": v}
            for i, line, s in zip(owner, lines, self.score_lines(lines, lflags), strict=True)
            for c, v in s.items()
            if lo <= v < hi
        ]
        schema = {"text_index": pl.Int64, "line": pl.String, "code": pl.String, "score": pl.Float64}
        return pl.DataFrame(rows, schema=schema)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Pickle the fitted tagger atomically (joblib)."""
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            joblib.dump(self, tmp, compress=3)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @staticmethod
    def load(path: str | Path) -> CompetencyTagger:
        import joblib

        obj = joblib.load(path)
        if not isinstance(obj, CompetencyTagger):
            raise TypeError(f"{path} does not hold a CompetencyTagger")
        return obj

    def __repr__(self) -> str:
        fitted = "fitted" if hasattr(self, "combiner_") else "not fitted"
        return f"CompetencyTagger({self.taxonomy_name!r}, {fitted})"


def _model_text(s: str) -> str:
    """What the line classifier reads: normalised, Latin folded over OCR confusions."""
    return taxonomy.normalize_text(s).translate(FOLD)


def _partial_ok(key: str, line_key: str, score: float) -> bool:
    """A partial match of a short key must be near-perfect: one slip in five letters is 80."""
    need = 100.0 if len(key) < MIN_FUZZY_KEY else 90.0 if len(key) < 8 else 80.0
    return score >= need


def _slip(key: str, similarity: float) -> bool:
    """Whether a form's key read with ``similarity`` (rapidfuzz, 0-1) is the form with a slip:
    about one letter off, two in forms of 20+ letters (measured tesseract damage: one letter of
    a word, or the whole word lost). Further apart, the line names something else: typed
    text shows the same resemblances ("팩터 모델링" to 전지 모델링), and OCR did not make them."""
    return (1.0 - similarity) * len(key) <= 1.25 + len(key) // 20


def _fuzzy_hit(key: str, line_key: str, similarity: float) -> bool:
    """A partial (fuzzy) match of a form in a line: the line holds the whole form (a line
    shorter than the form, "해석" against "CAE 해석", is a piece of it, not a reading of it),
    short forms near-perfectly (_partial_ok), and at most a slip off (_slip)."""
    return (
        len(line_key) >= len(key)
        and _partial_ok(key, line_key, similarity * 100)
        and _slip(key, similarity)
    )


_KEY_LATIN = re.compile(r"[a-z0-9+#]+")


def _latin_intact(key: str, read: str) -> bool:
    """Whether ``read`` differs from ``key`` outside its short Latin words: a Latin word of
    fewer than 6 letters one letter off is another word ("ESS 시스템" is not MES 시스템, "C 언어"
    not R 언어), as MIN_FUZZY_KEY says of short forms."""
    from rapidfuzz.distance import Levenshtein

    short = [False] * len(key)
    for m in _KEY_LATIN.finditer(key):
        if m.end() - m.start() < 6:
            short[m.start() : m.end()] = [True] * (m.end() - m.start())
    for op in Levenshtein.editops(key, read):
        p = op.src_pos
        near = (p - 1, p) if op.tag == "insert" else (p,)
        if any(0 <= q < len(key) and short[q] for q in near):
            return False
    return True


def _split(texts: Sequence[str], flags: Sequence[bool]) -> tuple[list[str], list[int], list[bool]]:
    lines, owner, lflags = [], [], []
    for i, (t, o) in enumerate(zip(texts, flags, strict=True)):
        for line in (t or "").splitlines():
            if line.strip():
                lines.append(line)
                owner.append(i)
                lflags.append(o)
    return lines, owner, lflags


# --------------------------------------------------------------------------------------------
# A fitted tagger, cached by taxonomy version
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    env = os.environ.get("TALENTLIB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "talentlib"


def load_or_fit(
    cache_dir: str | Path | None = None,
    *,
    n_postings: int = TRAINING_POSTINGS,
    seed: int = TRAINING_SEED,
    refit: bool = False,
    verbose: bool = False,
    **settings: Any,
) -> CompetencyTagger:
    """A tagger fitted on synthetic training lines, loaded from ``cache_dir/tagger/`` when a
    model for this taxonomy version, tagger version and settings is there (else trained, ~1 min
    on 2 cores, and saved). ``settings`` are CompetencyTagger arguments; ``llm`` is not part of
    the key (it is applied at prediction time)."""
    tagger = CompetencyTagger(**settings)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    import sklearn

    key = f"{tagger.fingerprint()}-n{n_postings}-s{seed}-sk{sklearn.__version__}"
    path = root / "tagger" / f"competency_tagger-{key}.joblib"
    if path.exists() and not refit:
        try:
            loaded = CompetencyTagger.load(path)
            loaded.llm, loaded.llm_cache_dir = tagger.llm, tagger.llm_cache_dir
            return loaded
        except Exception:  # noqa: BLE001 - an unreadable model is retrained
            pass
    from talentlib import training

    lines, labels = training.tagger_training_lines(n_postings, seed, tagger.taxonomy_name)
    tagger.fit(lines, labels, verbose=verbose)
    llm, llm_dir = tagger.llm, tagger.llm_cache_dir
    tagger.llm = None  # a backend object is not pickled with the model
    tagger.save(path)
    tagger.llm, tagger.llm_cache_dir = llm, llm_dir
    return tagger


@contextlib.contextmanager
def _full_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while: reading a batch makes millions of
    long-lived objects (the per-line caches) and next to no reference cycles, and the full
    collections that walk them all cost ~15 % of ``extract`` (3.9 s of 27 s on 10,000 postings;
    a collection afterwards frees ~30 objects)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def extract(
    postings: pl.DataFrame,
    tagger: CompetencyTagger | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> pl.DataFrame:
    """Rules and competencies per posting from ingested postings (``ingest_folder(...).postings``:
    posting_id, text, method; an optional field_code column lets the posting's field decide
    homonyms). One row per posting: the rules.extract_rules columns plus competencies,
    required, preferred and mentions (open vocabulary, see tag_sections).

    With ``cache_dir`` each posting's result is cached by the hash of its text and reading
    method and the versions of sections, rules and tagger (one JSON entry per posting), and the
    whole batch once more as one Parquet file, so re-running the same batch reads one file."""
    from talentlib import io
    from talentlib.postings.cache import Cache
    from talentlib.postings.rules import RULES_SCHEMA, RULES_VERSION, extract_rules
    from talentlib.postings.sections import segment, vocab

    tagger = tagger if tagger is not None else load_or_fit(cache_dir)
    method = postings["method"] if "method" in postings.columns else None
    field = postings["field_code"] if "field_code" in postings.columns else None
    frame = postings.select("posting_id", "text").with_columns(
        (method if method is not None else pl.lit("text")).fill_null("text").alias("method"),
        (field if field is not None else pl.lit(None, pl.String)).cast(pl.String).alias("field"),
    )
    version = (f"{TAGGER_VERSION}|{tagger.fingerprint()}|read{READING_VERSION}|rules{RULES_VERSION}"
               f"|sec{vocab().version}")  # fmt: skip
    if tagger.get_params()["open_vocab"]:
        version += f"|mentions={tagger.mention_extractor().fingerprint()}"
    if tagger.llm is not None:
        b = tagger.backend()
        version += f"|llm={getattr(b, 'name', b)}:{getattr(b, 'prompt_version', '')}"
    schema = {**RULES_SCHEMA, **{k: v for k, v in TAGS_SCHEMA.items() if k != "posting_id"}}
    ids = frame["posting_id"].to_list()
    shas = [
        hashlib.sha256(f"{m}\x1f{f or ''}\x1f{t or ''}".encode()).hexdigest()
        for t, m, f in zip(
            frame["text"].to_list(),
            frame["method"].to_list(),
            frame["field"].to_list(),
            strict=True,
        )  # fmt: skip
    ]
    batch_path = None
    if cache_dir is not None:
        key = hashlib.sha256("\n".join([version, *shas]).encode()).hexdigest()
        batch_path = Path(cache_dir) / "extract_batches" / f"{key}.parquet"
        if batch_path.exists():
            try:
                got = pl.read_parquet(batch_path)
                if got.height == len(ids):
                    return got.with_columns(pl.Series("posting_id", ids, pl.String)).select(
                        list(schema)
                    )
            except Exception:  # noqa: BLE001 - an unreadable batch file is a miss
                pass
    cache = Cache(cache_dir) if cache_dir is not None else None
    done: list[dict[str, Any]] = []
    todo: list[tuple[str, str, str, str]] = []
    field_of = dict(zip(ids, frame["field"].to_list(), strict=True))
    for pid, text, meth, sha in zip(ids, frame["text"], frame["method"], shas, strict=True):
        hit = cache.get(sha, "extract", version) if cache is not None else None
        if hit is not None:
            done.append({**hit, "posting_id": pid})
        else:
            todo.append((pid, text or "", meth, sha))
    out: pl.DataFrame | None = None
    if todo:
        todo_frame = pl.DataFrame(
            {"posting_id": [t[0] for t in todo], "text": [t[1] for t in todo]}
        )
        with _full_gc_paused():
            seg = segment(todo_frame)
            rules = extract_rules(seg)
            tags = tag_sections(
                seg, tagger, ocr_ids=[t[0] for t in todo if t[2] == "ocr"], fields=field_of
            )
        fresh = (
            todo_frame.select("posting_id")
            .join(rules, on="posting_id", how="left")
            .join(tags, on="posting_id", how="left")
            .with_columns(
                pl.col(c).fill_null([])
                for c in ("competencies", "required", "preferred", "mentions")
            )
        )
        sha_of = {t[0]: t[3] for t in todo}
        # nothing was cached and each posting has one row: the fresh rows are the answer
        whole = not done and fresh.height == len(ids) == len(sha_of)
        if cache is not None or not whole:
            for row in fresh.to_dicts():
                done.append(row)
                if cache is not None:
                    value = {k: v for k, v in row.items() if k != "posting_id"}
                    cache.put(sha_of[row["posting_id"]], "extract", version, value)
        if whole:
            out = fresh.select(list(schema)).cast(schema)
    if out is None:
        order = {pid: i for i, pid in enumerate(ids)}
        done.sort(key=lambda r: order[r["posting_id"]])
        out = pl.DataFrame(done, schema=schema).select(list(schema))
    if batch_path is not None:
        io.write_parquet_atomic(out.drop("posting_id"), batch_path)
    return out
