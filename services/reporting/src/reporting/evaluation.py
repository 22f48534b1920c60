"""Pure: the year-end evaluation (年终总评 / 考评) of a year and a scope, from facts — and its XLSX and Word documents.

Three ranked lists (README, "Year-end evaluation"), each row showing every rate its score used:
- townships (the county: every township with events; a township: that one): the year's coverage_rate, on_time_rate,
  resolution_rate, satisfaction_rate, exactly the report's (report.tally / render), and attainment_rate = the mean of
  the attainment_rate of the township's officials' scorecards that have one (null if none has);
- responsible units (report.units_table of the scope): on_time_rate = closed_on_time / closed, resolution_rate =
  resolved / closed, satisfaction_rate = satisfied / closed (null when nothing was closed);
- officials (scorecards.officials, one card per township and official): coverage_rate and attainment_rate.

score = 100 × Σ w_p × rate_p / Σ w_p, both sums over the parts p whose rate the row has (not null) — a missing rate
drops out and its weight with it — rounded half up to 2 decimals; null when those weights sum to 0 (or no rate is
there). grade: ≥ 90 优秀, ≥ 75 良好, ≥ 60 合格, else 不合格. rank: by score, highest first; equal scores share a rank
and the next rank skips (1, 1, 3); rows without a score are listed last with rank and grade null.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from reporting import scorecards
from reporting.facts import UNITS
from reporting.report import COUNTY, Period, Tally, by_township, county_total, render, tally, units_table
from reporting.printable import printable

# part → the rate it weighs
RATES = {"coverage": "coverage_rate", "on_time": "on_time_rate", "resolution": "resolution_rate",
         "satisfaction": "satisfaction_rate", "attainment": "attainment_rate"}
GRADES = ((90, "优秀"), (75, "良好"), (60, "合格"))
FAIL = "不合格"
DEFAULT_COUNTY_NAME = "示范县"  # the document's county name until the township registry (names) says otherwise
_YEAR = re.compile(r"[0-9]{4}")


def year_of(text: str) -> Period:
    """The period of a year "YYYY" (not a month, quarter or half)."""
    if not _YEAR.fullmatch(text) or text == "0000":
        raise ValueError(f"{text!r} is not a year: use YYYY")
    return Period.parse(text)


def score(rates: dict[str, Optional[float]], weights: dict[str, float]) -> Optional[float]:
    """100 × Σ w × rate / Σ w over the parts (keys of RATES) whose rate is known; None if those weights sum to 0."""
    used = {p: float(weights.get(p, 0)) for p, r in rates.items() if r is not None}
    total = sum(used.values())
    if not total > 0:
        return None
    value = 100 * sum(w * rates[p] for p, w in used.items()) / total
    # Half up on the decimal value (rounded to 10 places first, so 84.49999999999999 from float noise is 84.5).
    return float(Decimal(repr(round(value, 10))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def grade(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    return next((name for low, name in GRADES if value >= low), FAIL)


def ranked(rows: list[dict[str, Any]], key) -> list[dict[str, Any]]:
    """The rows by score (then `key`), with `rank` (ties share one, like ranking.py) and `grade`; unscored last."""
    scored = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], key(r)))
    for i, row in enumerate(scored):
        row["rank"] = scored[i - 1]["rank"] if i and row["score"] == scored[i - 1]["score"] else i + 1
        row["grade"] = grade(row["score"])
    rest = sorted((r for r in rows if r["score"] is None), key=key)
    for row in rest:
        row["rank"] = row["grade"] = None
    return scored + rest


def _with_score(row: dict[str, Any], parts: tuple[str, ...], weights: dict[str, float]) -> dict[str, Any]:
    row["score"] = score({p: row[RATES[p]] for p in parts}, weights)
    return row


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def _mean(values: list[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


TOWNSHIP_PARTS = ("coverage", "on_time", "resolution", "satisfaction", "attainment")
UNIT_PARTS = ("on_time", "resolution", "satisfaction")
OFFICIAL_PARTS = ("coverage", "attainment")


def evaluate(facts: dict[str, list[dict]], scope: str, year: Period, weights: dict[str, float],
             quotas: Optional[dict[str, Optional[dict[str, Any]]]] = None) -> dict[str, list[dict[str, Any]]]:
    """{"townships", "units", "officials"}: the three ranked lists of `scope` (a township id or "county") for `year`."""
    grouped = by_township(facts)  # without the county-wide registries
    township = None if scope == COUNTY else scope
    names = [township] if township else sorted(grouped)
    tallies: dict[str, Tally] = {t: tally(grouped.get(t, {}), t, year) for t in names}
    cards = scorecards.officials(facts, township, year, quotas)

    towns = []
    for t in names:
        r = render(tallies[t])
        attainment = _mean([c["attainment_rate"] for c in cards if c["township"] == t and c["attainment_rate"] is not None])
        towns.append(_with_score({
            "township": t, "enterprises_registered": r["enterprises_registered"], "enterprises_visited": r["enterprises_visited"],
            "issues_closed": r["issues_closed"], "coverage_rate": r["coverage_rate"], "on_time_rate": r["on_time_rate"],
            "resolution_rate": r["resolution_rate"], "satisfaction_rate": r["satisfaction_rate"], "attainment_rate": attainment,
        }, TOWNSHIP_PARTS, weights))

    scope_tally = tallies[township] if township else county_total(tallies, year)
    units = []
    for u in units_table(scope_tally, facts.get(UNITS, [])):
        units.append(_with_score({
            "unit_id": u["unit_id"], "name": u["name"], "received": u["received"], "closed": u["closed"],
            "closed_on_time": u["closed_on_time"], "resolved": u["resolved"], "satisfied": u["satisfied"],
            "on_time_rate": _rate(u["closed_on_time"], u["closed"]), "resolution_rate": _rate(u["resolved"], u["closed"]),
            "satisfaction_rate": _rate(u["satisfied"], u["closed"]),
        }, UNIT_PARTS, weights))

    officials = []
    for c in cards:
        officials.append(_with_score({
            "township": c["township"], "official_id": c["official_id"], "name": c["name"], "official_rank": c["rank"],
            "visits_led": c["visits_led"], "visits_joined": c["visits_joined"],
            "assigned_enterprises": c["assigned_enterprises"], "assigned_enterprises_visited": c["assigned_enterprises_visited"],
            "quota": c["quota"], "coverage_rate": c["coverage_rate"], "attainment_rate": c["attainment_rate"],
        }, OFFICIAL_PARTS, weights))

    return {
        "townships": ranked(towns, lambda r: r["township"]),
        "units": ranked(units, lambda r: (r["unit_id"] is None, r["unit_id"] or "", r["name"] or "")),
        "officials": ranked(officials, lambda r: (r["township"], r["official_id"])),
    }


def content(weights: dict[str, float], quotas: Any, lists: dict[str, Any]) -> dict[str, Any]:
    """What an evaluation's hash is taken over: the weights and quotas it was computed with, and its three lists."""
    return {"weights": weights, "quotas": quotas, "scorecards": lists}


def frozen_weights(weights: dict[str, Any]) -> dict[str, float]:
    """The weights as an evaluation freezes them: every part, as a float (so 30 and 30.0 hash alike)."""
    return {p: float(weights.get(p, 0)) for p in RATES}


# ---- the documents -----------------------------------------------------------------------------------------------

PART_NAMES = {"coverage": "走访覆盖率", "on_time": "按时办结率", "resolution": "解决率", "satisfaction": "满意率",
              "attainment": "达标率"}
OFFICIAL_RANKS = {"county": "县级领导", "township": "镇班子成员", "cadre": "干部", "other": "其他"}
TOWNSHIP_COLUMNS = [("rank", "名次"), ("township_name", "乡镇"), ("coverage_rate", "走访覆盖率"), ("on_time_rate", "按时办结率"),
                    ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"), ("attainment_rate", "达标率"),
                    ("score", "得分"), ("grade", "等级"), ("enterprises_registered", "纳入企业数"),
                    ("enterprises_visited", "走访企业数"), ("issues_closed", "办结问题数")]
UNIT_COLUMNS = [("rank", "名次"), ("name", "责任单位"), ("closed", "办结数"), ("on_time_rate", "按时办结率"),
                ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"), ("score", "得分"), ("grade", "等级"),
                ("received", "受理数"), ("closed_on_time", "按时办结数"), ("resolved", "解决数"), ("satisfied", "满意数")]
OFFICIAL_COLUMNS = [("rank", "名次"), ("township_name", "乡镇"), ("name", "姓名"), ("rank_name", "职级"),
                    ("coverage_rate", "包抓企业走访覆盖率"), ("attainment_rate", "达标率"), ("score", "得分"), ("grade", "等级"),
                    ("visits_led", "牵头走访次数"), ("visits_joined", "参与走访次数"), ("assigned_enterprises", "包抓企业数"),
                    ("assigned_enterprises_visited", "已走访包抓企业数")]
SHEETS = (("乡镇", "townships", TOWNSHIP_COLUMNS), ("责任单位", "units", UNIT_COLUMNS), ("包抓领导", "officials", OFFICIAL_COLUMNS))


def _names(names: Optional[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    names = names or {}
    return names.get("county") or DEFAULT_COUNTY_NAME, dict(names.get("townships") or {})


def scope_name(scope: str, names: Optional[dict[str, Any]] = None) -> str:
    county, townships = _names(names)
    return county if scope == COUNTY else townships.get(scope, scope)


def title(evaluation: dict[str, Any], names: Optional[dict[str, Any]] = None) -> str:
    return f"{scope_name(evaluation['scope'], names)}{evaluation['year']}年度遍访企业助企纾困工作考评结果"


def rows_of(evaluation: dict[str, Any], names: Optional[dict[str, Any]] = None) -> dict[str, list[dict[str, Any]]]:
    """The three lists as the documents print them: townships by name, officials' ranks in words."""
    _, townships = _names(names)
    lists = evaluation["scorecards"]
    return {
        "townships": [{**r, "township_name": townships.get(r["township"], r["township"])} for r in lists["townships"]],
        "units": [{**r, "name": r["name"] or r["unit_id"]} for r in lists["units"]],
        "officials": [{**r, "township_name": townships.get(r["township"], r["township"]),
                       "rank_name": OFFICIAL_RANKS.get(r["official_rank"], r["official_rank"])} for r in lists["officials"]],
    }


def published_time(evaluation: dict[str, Any]) -> datetime:
    """The publication time in UTC, naive (what a document's properties and its zip entries are stamped with)."""
    at = datetime.fromisoformat(evaluation["published_at"])
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return max(at, datetime(1980, 1, 1))  # a zip cannot say earlier


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_zip(content: bytes, at: datetime) -> bytes:
    """The same archive with every entry stamped `at`, and the core properties' `modified` too (openpyxl writes the
    time of saving there): the same evaluation gives the same bytes whenever it is made."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(lambda m: m[1] + stamp + m[2], data)
            entry = zipfile.ZipInfo(info.filename, date_time=at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else printable(value)


def xlsx(evaluation: dict[str, Any], names: Optional[dict[str, Any]] = None) -> bytes:
    """Three sheets — 乡镇, 责任单位, 包抓领导 — with Chinese headers, one row per ranked row (rates as fractions)."""
    from openpyxl import Workbook

    at, rows = published_time(evaluation), rows_of(evaluation, names)
    book = Workbook()
    book.remove(book.active)
    for sheet_title, key, columns in SHEETS:
        sheet = book.create_sheet(sheet_title)
        sheet.append([label for _, label in columns])
        for row in rows[key]:
            sheet.append([_cell(row.get(k)) for k, _ in columns])
    book.properties.creator = printable(evaluation.get("published_by") or "")
    book.properties.title = printable(title(evaluation, names))
    book.properties.created = book.properties.modified = at
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue(), at)


def percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def points(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}"


FONT = "宋体"


def _run(paragraph, text: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(printable(text))
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _table(doc, header: list[str], body: list[list[str]]) -> None:
    table = doc.add_table(rows=1 + len(body), cols=len(header))
    table.style = "Table Grid"
    for i, values in enumerate([header, *body]):
        for cell, value in zip(table.rows[i].cells, values):
            _run(cell.paragraphs[0], value, 10.5, bold=i == 0)


def verify_path(evaluation: dict[str, Any]) -> str:
    return f"/api/v1/evaluations/{evaluation['scope']}/{evaluation['year']}/verify"


def docx(evaluation: dict[str, Any], names: Optional[dict[str, Any]] = None) -> bytes:
    """The evaluation as a Word document: the title, the weights, the three ranked tables, the hash and how to verify
    it. Made from the stored evaluation (and the names) alone, stamped with its publication time: the same
    evaluation gives byte-identical documents."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    at, rows, heading = published_time(evaluation), rows_of(evaluation, names), title(evaluation, names)
    doc = Document()
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(head, heading, 18, bold=True)
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(meta, f"考评范围：{scope_name(evaluation['scope'], names)}　考评年度：{evaluation['year']}年　"
               f"发布：{evaluation['published_at']}（{evaluation.get('published_by') or ''}）", 10.5)

    def section(text: str) -> None:
        _run(doc.add_paragraph(), text, 14, bold=True)

    weights = evaluation["weights"]
    total = sum(weights.values())
    section("一、考评指标与权重")
    _table(doc, ["指标", "权重", "占比"],
           [[PART_NAMES[p], f"{weights[p]:g}", percent(weights[p] / total if total else None)] for p in RATES])
    _run(doc.add_paragraph(), "得分 = 100 × Σ(权重 × 指标值) ÷ Σ权重，两个求和只计该对象有值的指标（缺少的指标连同其权重一并不计），"
                              "四舍五入保留两位小数。等级：90分及以上为优秀，75分及以上为良好，60分及以上为合格，60分以下为不合格。"
                              "得分相同者名次并列。乡镇计全部五项指标，责任单位计按时办结率、解决率、满意率，包抓领导计走访覆盖率、达标率。",
         10.5)

    def ranked_table(columns: list[tuple[str, str]], data: list[dict[str, Any]]) -> None:
        body = []
        for r in data:
            line = []
            for k, _ in columns:
                v = r.get(k)
                line.append(percent(v) if k.endswith("_rate") else points(v) if k == "score"
                            else "—" if v is None else str(v))
            body.append(line)
        _table(doc, [label for _, label in columns], body)

    section("二、乡镇考评结果")
    ranked_table(TOWNSHIP_COLUMNS[:9], rows["townships"])
    section("三、责任单位考评结果")
    ranked_table(UNIT_COLUMNS[:8], rows["units"])
    section("四、包抓领导考评结果")
    ranked_table(OFFICIAL_COLUMNS[:8], rows["officials"])
    section("五、核验")
    _run(doc.add_paragraph(), f"内容哈希（SHA-256）：{evaluation['hash']}", 10.5)
    position = "，".join(f"{p['topic']}[{p['partition']}]={p['offset']}" for p in evaluation.get("position") or [])
    _run(doc.add_paragraph(), f"数据截止位置：{position or '—'}", 10.5)
    _run(doc.add_paragraph(), f"核验：GET {verify_path(evaluation)}（按截止位置重算，比较哈希）", 10.5)

    props = doc.core_properties
    props.title, props.author = printable(heading)[:255], printable(evaluation.get("published_by") or "")[:255]
    props.last_modified_by = ""
    props.created = props.modified = props.last_printed = at
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue(), at)
