"""Composing one synthetic job posting: the company pool, the planted facts (competencies,
education, majors, experience, employment, salary, contacts) and the sections written from them,
format independent; ``postings_render`` turns a ``Posting`` into text, HTML, PDF or an image.

Every word pool and template comes from ``postings_vocabulary.yaml`` (order matters: draws pick
by position); sizes and rates come from ``postings_params.yaml``. Competency lines are checked
with the reference matcher (``postings.matcher``) and re-drawn when a planted code is not found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .. import taxonomy
from ..postings.matcher import competency_matcher, surface_forms

VOCABULARY_PATH = Path(__file__).with_name("postings_vocabulary.yaml")
REQUIRED_SECTIONS = ("title", "position", "duties", "requirements")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@lru_cache(maxsize=1)
def default_vocabulary() -> dict[str, Any]:
    """The word pools and templates of postings_vocabulary.yaml, in file order."""
    with open(VOCABULARY_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


_CUM: dict[int, tuple[dict[str, float], list[str], np.ndarray]] = {}


def _p(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """A key of `weights` drawn with probability proportional to its weight."""
    hit = _CUM.get(id(weights))
    if hit is None or hit[0] is not weights:
        keys = list(weights)
        cum = np.cumsum([float(weights[k]) for k in keys])
        hit = _CUM[id(weights)] = (weights, keys, cum / cum[-1])
    _, keys, cum = hit
    return keys[min(int(np.searchsorted(cum, rng.random(), side="right")), len(keys) - 1)]


def pick(rng: np.random.Generator, seq: Sequence[Any]) -> Any:
    """One item of `seq`, uniformly."""
    return seq[int(rng.integers(len(seq)))]


def _sample(rng: np.random.Generator, seq: Sequence[Any], k: int) -> list[Any]:
    k = max(0, min(k, len(seq)))
    return [seq[i] for i in sorted(rng.choice(len(seq), size=k, replace=False))] if k else []


def _has_batchim(word: str) -> bool:
    for ch in reversed(word):
        if "\uac00" <= ch <= "\ud7a3":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isalnum():
            return ch.lower() in "lmnr0136789"
    return False


def _eun(word: str) -> str:
    return "은" if _has_batchim(word) else "는"


# ---------------------------------------------------------------------------------------------
# The planted posting
# ---------------------------------------------------------------------------------------------


@dataclass
class Section:
    key: str  # company, position, duties, requirements, preferred, education, ..., apply
    heading: str
    lines: list[str]
    table: list[tuple[str, str]] | None = None  # key-value rows (conditions), for HTML tables


@dataclass
class Posting:
    posting_id: str
    field_code: str
    family: dict[str, Any]
    company: dict[str, Any]
    title: str
    sections: list[Section] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=dict)
    source: str = "jobsite_a"
    posted_on: dt.date = dt.date(2023, 1, 1)
    has_pii: bool = False

    def lines(self) -> list[str]:
        out = [self.title]
        for s in self.sections:
            out += [s.heading, *s.lines]
        return out


def _fmt_won(v: int) -> str:
    return f"{v:,}"


def build_companies(
    rng: np.random.Generator, pp: dict[str, Any], n_postings: int
) -> list[dict[str, Any]]:
    """The company pool: about one company per ``postings_per_company`` postings, per field as
    ``field_share``, named from the vocabulary; no name reads as a competency."""
    shares = pp["field_share"]
    n = max(12, int(round(n_postings / float(pp["postings_per_company"]))))
    fields = list(shares)
    per_field = {f: max(2, int(round(n * shares[f] / sum(shares.values())))) for f in fields}
    v = default_vocabulary()["companies"]
    prefixes = list(v["prefixes"])
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    matcher = competency_matcher()
    for f in fields:
        for _ in range(per_field[f]):
            ctype = _p(rng, pp["company_type_share"])
            for attempt in range(400):
                prefix = pick(rng, prefixes)
                word = pick(rng, v["words"][f])
                # once the plain combinations run out (large scales), add a middle syllable
                middle = pick(rng, v["middles"]) if attempt >= 40 else ""
                core = prefix + middle + word
                # a name must not read as a competency ("다온디바이스" holds "온디바이스")
                if core not in used and not matcher.codes(core):
                    break
            else:
                raise RuntimeError(
                    f"ran out of company names for {f}; add prefixes to {VOCABULARY_PATH.name}"
                )
            used.add(core)
            legal = pick(rng, v["legal_forms"])
            slug = v["prefixes"][prefix] + "-" + v["domain_words"][f]
            out.append(
                {
                    "company_id": f"CO{len(out) + 1:05d}",
                    "name": legal.format(c=core),
                    "core": core,
                    "field_code": f,
                    "company_type": ctype,
                    "region": _p(rng, pp["region_share"][f]),
                    "domain": f"{slug}.example.com" if rng.random() < 0.7 else "example.co.kr",
                    "weight": float(pp["posting_weight"][ctype]),
                }
            )
    return out


class Writer:
    """Writes one posting's sections from its planted facts (all randomness from `rng`)."""

    def __init__(self, rng: np.random.Generator, pp: dict[str, Any]) -> None:
        self.rng = rng
        self.pp = pp
        self.forms = surface_forms()
        self.kind = {
            str(r["code"]): str(r.get("kind") or "knowledge")
            for r in taxonomy.load("competencies")["codes"]
        }
        self.matcher = competency_matcher()
        self.vocab = default_vocabulary()

    # -- competency phrases ----------------------------------------------------------------
    def form(self, code: str, latin: bool = False) -> str:
        forms = self.forms[code]
        if latin:
            lat = [f for f in forms if not _HANGUL.search(f)]
            if lat:
                return pick(self.rng, lat)
        # the Korean name most often, then any other spelling
        return forms[0] if self.rng.random() < 0.4 else pick(self.rng, forms)

    def phrase(self, section: str, codes: list[str], years: int | None) -> str:
        r = self.rng
        phrases, t = self.vocab["phrases"], self.vocab["competency_lines"]
        if len(codes) == 1 and codes[0] in phrases:
            return pick(r, phrases[codes[0]])
        kinds = [self.kind[c] for c in codes]
        english = r.random() < 0.12
        if len(codes) == 2:
            a, b = self.form(codes[0]), self.form(codes[1])
            pool = {"duties": t["duties_pair"], "requirements": t["requirements_pair"]}.get(
                section, t["preferred_pair"]
            )
            return pick(r, pool).format(a=a, b=b)
        code, kind = codes[0], kinds[0]
        if english:
            pool = {"duties": t["duties_en"], "requirements": t["requirements_en"]}.get(
                section, t["preferred_en"]
            )
            return pick(r, pool).format(s=self.form(code, latin=True))
        s = self.form(code)
        if section == "duties":
            return pick(r, t["duties"].get(kind, t["duties"]["knowledge"])).format(s=s)
        if section == "requirements":
            if years and kind in ("knowledge", "method") and r.random() < 0.3:
                return pick(r, t["requirements_years"]).format(s=s, n=years)
            return pick(r, t["requirements"].get(kind, t["requirements"]["knowledge"])).format(s=s)
        pool = t["preferred_certificate"] if kind == "certificate" else t["preferred"]
        return pick(r, pool).format(s=s)

    def competency_lines(self, section: str, codes: list[str], years: int | None) -> list[str]:
        """Lines that mention `codes` (one or two per line); each line is checked with the
        matcher and re-drawn when a planted code was not recognised (a longer form won)."""
        r = self.rng
        groups: list[list[str]] = []
        rest = list(codes)
        while rest:
            pairable = [c for c in rest[:2] if c not in self.vocab["phrases"]]
            if len(pairable) == 2 and len(rest) >= 2 and r.random() < 0.25:
                groups.append(rest[:2])
                rest = rest[2:]
            else:
                groups.append(rest[:1])
                rest = rest[1:]
        lines = []
        for g in groups:
            line = ""
            for _try in range(6):
                line = self.phrase(section, g, years)
                if set(g) <= self.matcher.codes_in_lines([line]):
                    break
            lines.append(line)
        return lines


def _plant(
    rng: np.random.Generator, pp: dict[str, Any], fam: dict[str, Any]
) -> dict[str, list[str]]:
    """Which competencies go into duties, requirements and preferred."""
    core = list(fam["core"])
    order = [core[i] for i in rng.permutation(len(core))]
    n_duty = int(rng.integers(2, 5))
    n_req = int(rng.integers(1, 4))
    duties = order[:n_duty]
    reqs = order[n_duty : n_duty + n_req]
    taken = set(duties) | set(reqs)
    tools = [t for t in fam.get("tools", []) if t not in taken]
    for t in tools:
        if rng.random() < 0.55:
            reqs.append(t)
            taken.add(t)
    extra = [c for c in fam.get("extra", []) if c not in taken]
    prefs = _sample(rng, extra, int(rng.integers(1, 4)))
    taken |= set(prefs)
    for code, rate in pp["universal_rates"].items():
        if code not in taken and rng.random() < float(rate):
            (prefs if rng.random() < 0.6 else reqs).append(code)
            taken.add(code)
    return {"duties": duties, "requirements": reqs, "preferred": prefs}


def _education_text(rng: np.random.Generator, code: str, english: bool) -> str:
    c = default_vocabulary()["conditions"]
    return c["education_en"][code] if english else pick(rng, c["education"][code])


def _majors(
    rng: np.random.Generator, pp: dict[str, Any], fam: dict[str, Any], english: bool
) -> tuple[list[str], str]:
    c = default_vocabulary()["conditions"]
    u = rng.random()
    if u < 0.08:
        return [], pick(rng, c["any_major"]) if not english else "Any major"
    if u < 0.15 and not english:
        return ["이공계"], pick(rng, c["stem_major"])
    majors = _sample(rng, fam["majors"], int(rng.integers(1, 4)))
    vocab = pp["majors"]
    if english:
        return majors, "Major in " + " or ".join(vocab[m]["en"] for m in majors)
    names = [m if rng.random() < 0.75 else pick(rng, vocab[m]["aliases"]) for m in majors]
    style = int(rng.integers(4))
    if style == 0:
        text = ", ".join(names) + " 등 관련 전공"
    elif style == 1:
        text = "/".join(names) + " 관련 학과"
    elif style == 2:
        text = " 또는 ".join(names) + " 전공자"
    else:
        text = "관련 전공 (" + ", ".join(names) + ")"
    return majors, text


def _experience(
    rng: np.random.Generator, pp: dict[str, Any], employment: str, english: bool
) -> tuple[int | None, str]:
    kind = "new" if employment == "INTERN" else _p(rng, pp["experience_share"])
    years = [int(y) for y in pp["experience_years"]]
    texts = default_vocabulary()["conditions"]["experience"]
    if kind == "none":
        return None, "Not required" if english else pick(rng, texts["none"])
    if kind == "new":
        return 0, "Entry level" if english else pick(rng, texts["new"])
    if kind == "new_or_exp":
        return 0, "Entry or experienced" if english else pick(rng, texts["new_or_exp"])
    n = pick(rng, years)
    if kind == "range":
        m = n + int(rng.integers(2, 6))
        if english:
            return n, f"{n}-{m} years"
        return n, pick(rng, texts["range"]).format(n=n, m=m)
    if english:
        return n, f"{n}+ years of experience"
    return n, pick(rng, texts["min"]).format(n=n)


def _salary(
    rng: np.random.Generator, ctype: str, years: int | None, employment: str
) -> tuple[str, int | None, int | None, str | None]:
    if employment == "INTERN":
        m = int(rng.integers(20, 27)) * 10
        return f"월 {_fmt_won(m)}만원", m, None, "month"
    v = default_vocabulary()
    lo, hi = v["companies"]["salary_base"][ctype]
    bump = 300 * (years or 0)
    u = rng.random()
    if u < 0.35:
        return pick(rng, v["conditions"]["salary_undisclosed"]), None, None, None
    if ctype == "SME" and u > 0.85:
        m = int(rng.integers(25, 36)) * 10 + (years or 0) * 20
        return f"월 {_fmt_won(m)}만원 이상", m, None, "month"
    a = int(rng.integers(lo // 100, hi // 100 + 1)) * 100 + bump
    if u < 0.8:
        b = a + int(rng.integers(5, 16)) * 100
        extra = " + 스톡옵션" if ctype == "VENTURE" and rng.random() < 0.5 else ""
        return f"연봉 {_fmt_won(a)}~{_fmt_won(b)}만원{extra}", a, b, "year"
    return f"연봉 {_fmt_won(a)}만원 이상", a, None, "year"


def _phone(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.35:
        return f"010-{int(rng.integers(2000, 9999))}-{int(rng.integers(1000, 9999))}"
    if kind < 0.6:
        return f"02-{int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
    if kind < 0.85:
        area = pick(rng, default_vocabulary()["contacts"]["area_codes"])
        return f"{area}-{int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
    return f"070-{int(rng.integers(2000, 9999))}-{int(rng.integers(1000, 9999))}"


def _email(rng: np.random.Generator, company: dict[str, Any]) -> str:
    user = pick(rng, default_vocabulary()["contacts"]["email_users"])
    if rng.random() < 0.3:
        user += str(int(rng.integers(1, 99)))
    return f"{user}@{company['domain']}"


def _heading(style: str, key: str, n: int, rng: np.random.Generator, english: bool) -> str:
    names = default_vocabulary()["layout"]["headings"][key]
    latin = [h for h in names if not _HANGUL.search(h)]
    korean = [h for h in names if _HANGUL.search(h)] or names
    name = (
        pick(rng, latin)
        if english and latin
        else pick(rng, korean if rng.random() < 0.9 else names)
    )
    return style.format(h=name, n=n)


def compose_posting(
    rng: np.random.Generator,
    pp: dict[str, Any],
    writer: Writer,
    posting_id: str,
    field_code: str,
    company: dict[str, Any],
) -> Posting:
    """Plant one posting's facts and write its sections (format independent)."""
    v = default_vocabulary()
    fams = pp["families"][field_code]
    fam = fams[
        int(
            rng.choice(
                len(fams), p=np.array([f["weight"] for f in fams]) / sum(f["weight"] for f in fams)
            )
        )
    ]
    english = rng.random() < 0.08  # a mostly-English posting (foreign-invested, global team)
    title = pick(rng, fam["titles"])
    if rng.random() < 0.3:
        title = f"[{company['core']}] {title}"
    employment = _p(rng, pp["employment_type_share"])
    if employment == "INTERN":
        title += " 인턴" if not english else " (Intern)"
    edu = _p(rng, pp["education_profiles"][fam["education"]])
    edu_text = _education_text(rng, edu, english)
    majors, majors_text = _majors(rng, pp, fam, english)
    exp_min, exp_text = _experience(rng, pp, employment, english)
    emp_text = pick(rng, v["conditions"]["employment"][employment])
    region = company["region"] if rng.random() < 0.85 else _p(rng, pp["region_share"][field_code])
    place = pick(rng, pp["places"][region])
    salary_text, sal_min, sal_max, sal_period = _salary(
        rng, company["company_type"], exp_min, employment
    )
    d0 = dt.date.fromisoformat(pp["posted_between"][0])
    d1 = dt.date.fromisoformat(pp["posted_between"][1])
    posted_on = d0 + dt.timedelta(days=int(rng.integers(0, (d1 - d0).days + 1)))

    planted = _plant(rng, pp, fam)
    years = exp_min if exp_min and exp_min >= 1 else None
    style = pick(rng, v["layout"]["heading_styles"])
    sections: list[Section] = []

    def add(key: str, lines: list[str], table: list[tuple[str, str]] | None = None) -> None:
        sections.append(
            Section(key, _heading(style, key, len(sections) + 1, rng, english), lines, table)
        )

    # company blurb (boilerplate: no competency surface forms)
    sizes, blurbs = v["companies"]["size_descriptions"], v["companies"]["blurbs"][field_code]
    blurb = [
        s.format(size=pick(rng, sizes[company["company_type"]]), invest=int(rng.integers(30, 900)))
        for s in _sample(rng, blurbs, int(rng.integers(1, len(blurbs) + 1)))
    ]
    blurb[0] = f"{company['name']}{_eun(company['core'])} " + blurb[0]
    if english:
        blurb = [
            f"{company['name']} builds {v['companies']['industry_en'][field_code]} products "
            "for customers in Korea and abroad."
        ]
    add("company", blurb)
    n_hires = pick(rng, v["conditions"]["n_hires"])
    add("position", [f"{title} ({n_hires})" if not english else f"{title} / {n_hires}"])

    duty_lines = writer.competency_lines("duties", planted["duties"], years)
    if rng.random() < 0.5:
        duty_lines.insert(int(rng.integers(len(duty_lines) + 1)), pick(rng, v["filler"]["duties"]))
    add("duties", duty_lines)

    req_lines = writer.competency_lines("requirements", planted["requirements"], years)
    layout = rng.random()
    kv = [
        ("education", edu_text),
        ("major", majors_text),
        ("experience", exp_text),
        ("employment", emp_text),
        ("location", place),
        ("salary", salary_text),
    ]
    if layout < 0.25:  # degree, major and years written into the requirements
        req_lines = [f"{edu_text} ({majors_text})" if majors else edu_text, exp_text] + req_lines
        kv = kv[3:]
    if rng.random() < 0.4:
        req_lines.append(pick(rng, v["filler"]["requirements"]))
    add("requirements", req_lines)
    pref_lines = writer.competency_lines("preferred", planted["preferred"], None)
    if edu == "BACHELOR" and rng.random() < 0.15:
        pref_lines.append("석사 이상 학위 소지자 우대")
    if rng.random() < 0.4:
        pref_lines.append(pick(rng, v["filler"]["preferred"]))
    add("preferred", pref_lines)

    if layout >= 0.25 and layout < 0.55:  # one heading per condition
        for key, value in kv:
            add(key, [value])
    else:  # a key-value block (a table in HTML)
        names = v["layout"]["condition_labels"]  # the last name of each is the English one
        rows = [(names[k][-1] if english else pick(rng, names[k][:-1]), x) for k, x in kv]
        rows = [("급여" if k == "연봉" and x.startswith("연봉") else k, x) for k, x in rows]
        add("conditions", [f"{k}: {x}" for k, x in rows], table=rows)

    if not english and rng.random() < 0.7:
        add("benefits", _sample(rng, v["benefits"], int(rng.integers(3, 7))))
    if rng.random() < 0.6:
        steps = v["process"]
        if field_code not in ("AI", "CYBER"):
            steps = [x for x in steps if "코딩" not in x]
        add("process", [pick(rng, steps)])
    apply_lines = []
    end = posted_on + dt.timedelta(days=int(rng.integers(14, 45)))
    apply_lines.append(
        f"접수기간: {posted_on:%Y.%m.%d} ~ {end:%Y.%m.%d} (채용 시 마감)"
        if not english
        else f"Deadline: {end:%Y-%m-%d}"
    )
    has_pii = False
    contact = pp["pii"]
    if rng.random() < float(contact["contact_rate"]):
        phone = _phone(rng) if rng.random() < float(contact["phone_rate"]) else None
        email = (
            _email(rng, company)
            if rng.random() < float(contact["email_rate"]) or not phone
            else None
        )
        if email:
            apply_lines.append(
                pick(rng, v["contacts"]["email_lines"]).format(e=email)
                if not english
                else f"Send your résumé to {email}"
            )
        if phone:
            apply_lines.append(pick(rng, v["contacts"]["phone_lines"]).format(p=phone))
        has_pii = True
    else:
        apply_lines.append(
            "당사 채용 홈페이지를 통한 온라인 지원"
            if not english
            else "Apply online on our careers page"
        )
    if not english and rng.random() < 0.5:
        apply_lines.append("제출서류: 이력서, 자기소개서, 경력기술서(경력자에 한함)")
    add("apply", apply_lines)

    # labels: exactly what the reference matcher finds, line by line
    m = writer.matcher
    req_codes = m.codes_in_lines(
        [title] + [ln for s in sections if s.key in REQUIRED_SECTIONS for ln in s.lines]
    )
    pref_codes = m.codes_in_lines([ln for s in sections if s.key == "preferred" for ln in s.lines])
    other = m.codes_in_lines(
        [
            ln
            for s in sections
            if s.key not in REQUIRED_SECTIONS + ("preferred",)
            for ln in [s.heading, *s.lines]
        ]
    )
    labels = {
        "field_code": field_code,
        "job_family": fam["code"],
        "title": title,
        "company_id": company["company_id"],
        "company_type": company["company_type"],
        "competencies": sorted(req_codes | pref_codes | other),
        "required": sorted(req_codes),
        "preferred": sorted(pref_codes - req_codes),
        "education": edu,
        "majors": majors,
        "experience_min_years": exp_min,
        "employment_type": employment,
        "region": region,
        "salary": salary_text,
        "salary_min": sal_min,
        "salary_max": sal_max,
        "salary_period": sal_period,
        "posted_on": posted_on.isoformat(),
        "has_pii": has_pii,
        "_boilerplate_codes": sorted(other),
    }
    return Posting(
        posting_id,
        field_code,
        fam,
        company,
        title,
        sections,
        labels,
        source=_p(rng, pp["sources"]),
        posted_on=posted_on,
        has_pii=has_pii,
    )
