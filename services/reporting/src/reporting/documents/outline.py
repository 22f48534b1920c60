"""Pure: everything a bulletin's document says, as data — its 红头, number, title, date, the paragraphs written from the
frozen figures, the tables, the 红黑榜, the charts' data and the footer that names the log position and the hash.

The Word and PDF documents (docx.py, pdf.py) print this outline and nothing else, so they say the same. Every number
printed is one of the frozen bulletin's figures, formatted one way: a rate as a percentage with one decimal
(0.8333 → 83.3%), a count as an integer, working days with at most one decimal; an unknown value (null) as "—" in a
table. Only the 环比/同比 changes are computed here, from the printed values (83.3% against 80.1% is 提高3.2个百分点),
so that a reader's own subtraction agrees. `figures` lists every printed figure as [label, printed value].

The outline is JSON (lists, not tuples): the console's preview reads it as it is."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Callable, Optional

from reporting.exports import CATEGORY
from reporting.report import Period

COUNTY = "county"
PRINTED_NULL = "—"
UNNUMBERED = "（未编号）"


def _local_zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database: China keeps UTC+8 all year (no DST since 1991)
        return timezone(timedelta(hours=8), "Asia/Shanghai")


LOCAL = _local_zone()

# A report's scalar figures in the order a document lists them: (field, label, kind, unit). kind: count, rate, days.
SCALARS: list[tuple[str, str, str, str]] = [
    ("enterprises_registered", "纳入企业", "count", "家"),
    ("enterprises_visited", "走访企业", "count", "家"),
    ("coverage_rate", "走访覆盖率", "rate", ""),
    ("visits", "走访次数", "count", "次"),
    ("visits_in_person", "实地走访", "count", "次"),
    ("county_leader_visits", "县级领导参与走访", "count", "次"),
    ("demands_raised", "企业诉求", "count", "项"),
    ("demands_resolved_on_spot", "现场解决诉求", "count", "项"),
    ("on_spot_rate", "现场解决率", "rate", ""),
    ("issues_raised", "新增问题", "count", "件"),
    ("issues_closed", "办结问题", "count", "件"),
    ("issues_closed_on_time", "按时办结", "count", "件"),
    ("on_time_rate", "按时办结率", "rate", ""),
    ("issues_resolved", "解决问题", "count", "件"),
    ("resolution_rate", "解决率", "rate", ""),
    ("issues_open_at_end", "期末未办结", "count", "件"),
    ("issues_overdue_at_end", "期末超期", "count", "件"),
    ("satisfaction_rate", "满意率", "rate", ""),
    ("acknowledgements", "签收", "count", "次"),
    ("acknowledged_on_time", "按时签收", "count", "次"),
    ("mean_working_days_to_acknowledge", "平均签收用时（工作日）", "days", "个工作日"),
    ("p90_working_days_to_acknowledge", "签收用时P90（工作日）", "days", "个工作日"),
    ("mean_working_days_to_close", "平均办结用时（工作日）", "days", "个工作日"),
    ("p90_working_days_to_close", "办结用时P90（工作日）", "days", "个工作日"),
    ("returns", "退回", "count", "次"),
    ("findings_raised", "新增整改事项", "count", "项"),
    ("findings_closed", "办结整改事项", "count", "项"),
]
# A report's figures kept as {key: count}: (field, group label, {key: label}); every one a count of visits (次).
GROUPS: list[tuple[str, str, dict[str, str]]] = [
    ("visits_by_kind", "走访类型", {"routine": "日常走访", "visit_day": "企业走访日", "walkthrough": "一把手走流程",
                                   "joint": "联合走访"}),
    ("visits_by_channel", "走访方式", {"in_person": "实地", "phone": "电话", "remote": "远程"}),
    ("services_delivered", "四送", {"policy": "送政策", "warmth": "送温暖", "vitality": "送活力", "confidence": "送信心"}),
]
KIND = {key: kind for key, _, kind, _ in SCALARS} | {f"{g}.{k}": "count" for g, _, subs in GROUPS for k in subs}
UNIT = {key: unit for key, _, _, unit in SCALARS} | {f"{g}.{k}": "次" for g, _, subs in GROUPS for k in subs}
# The label of every figure of a report, a group's entries as "visits_by_kind.routine": what `figures` are named by.
LABELS = {key: label for key, label, _, _ in SCALARS} | {
    f"{g}.{k}": f"{glabel}·{label}" for g, glabel, subs in GROUPS for k, label in subs.items()}
COMPARISONS = (("previous_period", "环比", "上期"), ("same_period_last_year", "同比", "去年同期"))
UNIT_COLUMNS = [("received", "交办"), ("acknowledged", "签收"), ("acknowledged_on_time", "按时签收"), ("closed", "办结"),
                ("closed_on_time", "按时办结"), ("resolved", "解决"), ("returned", "退回"), ("followed_up", "回访"),
                ("satisfied", "满意")]
CATEGORY_COLUMNS = [("raised", "新增"), ("closed", "办结"), ("open_at_end", "期末未办结")]
QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}
_NOT_RANKED = re.compile(r"needs at least (\d+) enterprises and (\d+) issues closed in the period \(has (\d+) and (\d+)\)")


# ----------------------------------------------------------------------------------------------------- formatting

def pct(value: Optional[float]) -> str:
    return PRINTED_NULL if value is None else f"{value * 100:.1f}%"


def count(value: Optional[int]) -> str:
    return PRINTED_NULL if value is None else str(int(value))


def days(value: Optional[float]) -> str:
    if value is None:
        return PRINTED_NULL
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


PRINT: dict[str, Callable[[Any], str]] = {"count": count, "rate": pct, "days": days}


def printed(key: str, value: Any) -> str:
    """A report figure as every document prints it (`key` a field of SCALARS or a group's "visits_by_kind.routine")."""
    return PRINT[KIND[key]](value)


def change(key: str, now: Any, before: Any) -> str:
    """How a figure moved against another period's, from the printed values: 提高3.2个百分点, 减少12次, 持平;
    无可比数据 when either is unknown."""
    if now is None or before is None:
        return "无可比数据"
    kind = KIND[key]
    if kind == "rate":
        diff, up, down, unit = Decimal(pct(now)[:-1]) - Decimal(pct(before)[:-1]), "提高", "降低", "个百分点"
    elif kind == "days":
        diff, up, down, unit = Decimal(days(now)) - Decimal(days(before)), "延长", "缩短", "个工作日"
    else:
        diff, up, down, unit = Decimal(int(now) - int(before)), "增加", "减少", UNIT[key]
    if diff == 0:
        return "持平"
    return f"{up if diff > 0 else down}{abs(diff)}{unit}"


def period_label(text: str) -> str:
    """2026-Q1 → 2026年第一季度, 2026-03 → 2026年3月, 2026-H1 → 2026年上半年, 2026 → 2026年度."""
    p = Period.parse(text)
    y = p.start.year
    tag = text[5:6]
    if tag == "Q":
        return f"{y}年第{QUARTERS[text[6]]}季度"
    if tag == "H":
        return f"{y}年{'上' if text[6] == '1' else '下'}半年"
    if tag:
        return f"{y}年{p.start.month}月"
    return f"{y}年度"


def local_date(published_at: str) -> str:
    """The day of publication in Asia/Shanghai, in Chinese: 2026年4月2日 (a time without a zone is taken as UTC)."""
    at = datetime.fromisoformat(published_at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    d = at.astimezone(LOCAL).date()
    return f"{d.year}年{d.month}月{d.day}日"


def not_ranked_reason(reason: str) -> str:
    """reporting/ranking.py's reason, in Chinese (a reason of another wording is kept as given)."""
    m = _NOT_RANKED.fullmatch(reason or "")
    if not m:
        return reason or "未说明原因"
    need_e, need_c, has_e, has_c = m.groups()
    return f"样本不足，需纳入企业不少于{need_e}家且本期办结问题不少于{need_c}件，现纳入{has_e}家、办结{has_c}件"


def _position(position: Any) -> str:
    if isinstance(position, list) and all(isinstance(p, dict) for p in position):
        return "、".join(f"{p.get('topic')}#{p.get('partition')}:{p.get('offset')}" for p in position)
    return str(position)


def _value(report: dict[str, Any], key: str) -> Any:
    group, _, sub = key.partition(".")
    return (report.get(group) or {}).get(sub) if sub else report.get(key)


def _has(report: dict[str, Any], key: str) -> bool:
    group, _, sub = key.partition(".")
    return isinstance(report.get(group), dict) and sub in report[group] if sub else key in report


# ----------------------------------------------------------------------------------------------------- the outline

class _Writer:
    """Collects the body in order (headings, paragraphs, tables, charts), numbering tables and charts, and every
    figure printed."""

    def __init__(self) -> None:
        self.body: list[dict[str, Any]] = []
        self.tables: list[dict[str, Any]] = []
        self.charts: list[dict[str, Any]] = []
        self.figures: list[list[str]] = []
        self._seen: set[tuple[str, str]] = set()

    def figure(self, label: str, value: str) -> str:
        if (label, value) not in self._seen:
            self._seen.add((label, value))
            self.figures.append([label, value])
        return value

    def fig(self, who: str, report: dict[str, Any], key: str) -> str:
        return self.figure(f"{who}·{LABELS[key]}", printed(key, _value(report, key)))

    def heading(self, text: str) -> None:
        self.body.append({"type": "heading", "text": text})

    def paragraph(self, text: str, style: str = "body") -> None:
        self.body.append({"type": "paragraph", "text": text, "style": style})

    def table(self, title: str, columns: list[str], rows: list[list[str]], appendix: bool = False,
              style: str = "plain", total_row: bool = False) -> dict[str, Any]:
        n = sum(1 for t in self.tables if t["appendix"] == appendix) + 1
        table = {"id": f"{'appendix-' if appendix else ''}table-{n}", "number": f"{'附表' if appendix else '表'}{n}",
                 "title": title, "columns": columns, "rows": rows, "appendix": appendix, "style": style,
                 "total_row": total_row}
        self.tables.append(table)
        self.body.append({"type": "table", "id": table["id"]})
        return table

    def chart(self, title: str, unit: str, categories: list[str], series: list[dict[str, Any]]) -> None:
        chart = {"id": f"chart-{len(self.charts) + 1}", "number": f"图{len(self.charts) + 1}", "title": title,
                 "kind": "bar", "unit": unit, "categories": categories, "series": series}
        self.charts.append(chart)
        self.body.append({"type": "chart", "id": chart["id"]})


def _vs(w: _Writer, who: str, report: dict[str, Any], key: str) -> str:
    """"，环比提高3.2个百分点、同比降低1.0个百分点" — each comparison the report carries; none for an old report."""
    out = []
    for block_key, tag, _ in COMPARISONS:
        block = report.get(block_key)
        if not isinstance(block, dict):
            continue  # an old report, or no such period: said once (_no_comparison), not at every figure
        before = block.get(key)
        out.append(tag + w.figure(f"{who}·{LABELS[key]}·{tag}", change(key, report.get(key), before)))
    return f"，{'、'.join(out)}" if out else ""


def _say(text: str, unknown: str = "暂无数据") -> str:
    return unknown if text == PRINTED_NULL else text


def _summary(w: _Writer, report: dict[str, Any], who: str, subject: str, label: str) -> None:
    """The paragraphs of 总体情况, written from the figures of `report` (a township's, or the county total)."""
    f = lambda key: w.fig(who, report, key)  # noqa: E731 — print and record
    vs = lambda key: _vs(w, who, report, key)  # noqa: E731
    w.paragraph(f"{label}，{subject}纳入遍访范围企业{f('enterprises_registered')}家，已走访{f('enterprises_visited')}家"
                f"{vs('enterprises_visited')}，走访覆盖率{_say(f('coverage_rate'))}{vs('coverage_rate')}。"
                f"累计走访企业{f('visits')}次{vs('visits')}，其中实地走访{f('visits_in_person')}次；"
                f"县级领导参与走访{f('county_leader_visits')}次{vs('county_leader_visits')}。")
    missing = [tag for block_key, tag, _ in COMPARISONS if block_key in report and not isinstance(report[block_key], dict)]
    if missing:
        w.paragraph(f"本期{'、'.join(tag + w.figure(f'{who}·{tag}', '无可比数据') for tag in missing)}。")
    parts = []
    for group, glabel, subs in GROUPS[:2]:
        if isinstance(report.get(group), dict):
            parts.append(f"按{glabel}分，" + "、".join(f"{sub}{f(f'{group}.{k}')}次" for k, sub in subs.items()))
    if parts:
        w.paragraph("；".join(parts) + "。")
    services, sentences = GROUPS[2], []
    if isinstance(report.get(services[0]), dict):
        sentences.append("开展“四送”服务，" + "、".join(
            f"{sub}{f(f'{services[0]}.{k}')}次" for k, sub in services[2].items()) + "。")
    if "demands_raised" in report:
        sentences.append(f"收集企业诉求{f('demands_raised')}项{vs('demands_raised')}，现场解决{f('demands_resolved_on_spot')}项，"
                         f"现场解决率{_say(f('on_spot_rate'))}。")
    if sentences:
        w.paragraph("".join(sentences))
    text = (f"新增企业反映问题{f('issues_raised')}件{vs('issues_raised')}，办结{f('issues_closed')}件{vs('issues_closed')}，"
            f"其中按时办结{f('issues_closed_on_time')}件，按时办结率{_say(f('on_time_rate'))}{vs('on_time_rate')}")
    if "issues_resolved" in report:
        text += f"；已解决{f('issues_resolved')}件，解决率{_say(f('resolution_rate'))}{vs('resolution_rate')}"
    text += f"。期末未办结问题{f('issues_open_at_end')}件，其中超期{f('issues_overdue_at_end')}件。"
    w.paragraph(text)
    if "acknowledgements" in report:
        def took(key: str, what: str) -> str:
            value = f(key)
            return f"{what.removesuffix('为')}暂无数据" if value == PRINTED_NULL else f"{what}{value}个工作日"

        w.paragraph(
            f"责任单位签收问题{f('acknowledgements')}次，其中按时签收{f('acknowledged_on_time')}次，"
            f"{took('mean_working_days_to_acknowledge', '平均签收用时')}（{took('p90_working_days_to_acknowledge', 'P90为')}）；"
            f"{took('mean_working_days_to_close', '平均办结用时')}{vs('mean_working_days_to_close')}"
            f"（{took('p90_working_days_to_close', 'P90为')}）；退回重新交办{f('returns')}次。"
            f"新增整改事项{f('findings_raised')}项，办结{f('findings_closed')}项。")
    satisfaction = f("satisfaction_rate")
    if satisfaction == PRINTED_NULL:
        w.paragraph(f"本期办结问题暂无企业满意度评价{vs('satisfaction_rate')}。")
    else:
        w.paragraph(f"已办结问题企业满意率{satisfaction}{vs('satisfaction_rate')}。")
    top = _categories(report)[:3]
    if top and top[0][1].get("raised", 0) > 0:
        w.paragraph("从问题类别看，企业反映较集中的是" + "、".join(
            f"{CATEGORY.get(code, code)}（{w.figure(f'{who}·{CATEGORY.get(code, code)}·新增', count(c.get('raised', 0)))}件）"
            for code, c in top if c.get("raised", 0) > 0) + "方面。")


def _categories(report: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """by_category, the most raised first (then the most closed, then the code)."""
    return sorted((report.get("by_category") or {}).items(),
                  key=lambda item: (-item[1].get("raised", 0), -item[1].get("closed", 0), item[0]))


def _indicator_table(w: _Writer, report: dict[str, Any], who: str) -> None:
    """主要指标: every figure of the report, with the other periods' and the changes where the report compares."""
    blocks = [(k, tag, name) for k, tag, name in COMPARISONS if isinstance(report.get(k), dict)]
    columns = ["指标", "本期"]
    for k, tag, name in blocks:
        block = report[k]
        other = period_label(block["period"]) if block.get("period") else "无"
        columns += [f"{name}（{other}）", tag]
    rows = []
    for key in LABELS:
        if not _has(report, key):
            continue
        row = [LABELS[key], w.fig(who, report, key)]
        for k, tag, _ in blocks:
            block = report[k]
            if "." in key or key not in block:
                row += ["", ""]
            else:
                row += [w.figure(f"{who}·{LABELS[key]}·{'上期' if k == 'previous_period' else '去年同期'}",
                                 printed(key, block[key])),
                        w.figure(f"{who}·{LABELS[key]}·{tag}", change(key, report.get(key), block[key]))]
        rows.append(row)
    w.table(f"{who}主要指标", columns, rows)


def _report_table(w: _Writer, title: str, keys: list[str], reports: list[tuple[str, dict[str, Any]]],
                  total: Optional[tuple[str, str, dict[str, Any]]], appendix: bool = False) -> None:
    """One row per township (and the total row), one column per figure any of them has."""
    everyone = [r for _, r in reports] + ([total[2]] if total else [])
    keys = [k for k in keys if any(_has(r, k) for r in everyone)]
    if not keys:
        return
    rows = [[name, *(w.fig(name, r, k) for k in keys)] for name, r in reports]
    if total:
        rows.append([total[0], *(w.fig(total[1], total[2], k) for k in keys)])
    w.table(title, ["乡镇", *(LABELS[k].split("·")[-1] for k in keys)], rows, appendix=appendix, total_row=bool(total))


def _category_table(w: _Writer, report: dict[str, Any], who: str) -> None:
    cats = _categories(report)
    if not cats:
        w.paragraph("本期无按类别统计的问题。")
        return
    rows = [[CATEGORY.get(code, code), *(w.figure(f"{who}·{CATEGORY.get(code, code)}·{label}", count(c.get(k, 0)))
                                          for k, label in CATEGORY_COLUMNS)] for code, c in cats]
    w.table("问题类别统计", ["问题类别", *(label for _, label in CATEGORY_COLUMNS)], rows)
    w.chart("问题类别分布（新增与办结）", "件", [CATEGORY.get(code, code) for code, _ in cats],
            [{"name": label, "values": [int(c.get(k, 0)) for _, c in cats]} for k, label in CATEGORY_COLUMNS[:2]])


def _unit_name(row: dict[str, Any], names: dict[str, Any]) -> str:
    return (names.get("units") or {}).get(row.get("unit_id") or "") or row.get("name") or row.get("unit_id") or "未注明单位"


def _units_table(w: _Writer, units: list[dict[str, Any]], names: dict[str, Any]) -> None:
    rows = []
    for row in units:
        name = _unit_name(row, names)
        rows.append([name, *(w.figure(f"{name}·{label}", count(row.get(k))) for k, label in UNIT_COLUMNS)])
    w.table("责任单位办理情况", ["责任单位", *(label for _, label in UNIT_COLUMNS)], rows)


def _visits_charts(w: _Writer, report: dict[str, Any], subject: str) -> None:
    for group, title in (("visits_by_kind", "走访类型分布"), ("services_delivered", "“四送”服务开展情况")):
        if isinstance(report.get(group), dict):
            subs = next(s for g, _, s in GROUPS if g == group)
            w.chart(f"{subject}{title}", "次", list(subs.values()),
                    [{"name": "次数", "values": [int(report[group].get(k) or 0) for k in subs]}])


def _rate_value(value: Optional[float]) -> Optional[float]:
    return None if value is None else float(pct(value)[:-1])


def _ranking_rows(w: _Writer, rows: list[dict[str, Any]], name_of: Callable[[str], str]) -> list[list[str]]:
    out = []
    for r in rows:
        name = name_of(r["township"])
        score = w.figure(f"排名·{name}·综合得分", f"{r['score'] * 100:.1f}")
        out.append([w.figure(f"排名·{name}·名次", str(r["rank"])), name, score,
                    *(w.figure(f"{name}·{LABELS[k]}", pct(r.get(k))) for k in ("coverage_rate", "on_time_rate", "satisfaction_rate"))])
    return out


RANK_COLUMNS = ["名次", "乡镇", "综合得分", "走访覆盖率", "按时办结率", "满意率"]


def _honours(w: _Writer, report: dict[str, Any], name_of: Callable[[str], str]) -> dict[str, Any]:
    """红黑榜: 红榜 the first three of the ranking; 黑榜 the last three, only with four or more ranked and never a
    township of the 红榜 (with four ranked the 黑榜 has one, with five two)."""
    ranking = report.get("ranking") or []
    not_ranked = [{"township": r["township"], "name": name_of(r["township"]), "reason": not_ranked_reason(r.get("reason", ""))}
                  for r in report.get("not_ranked") or []]
    w.paragraph("综合得分＝走访覆盖率×40%＋按时办结率×30%＋满意率×30%（缺项指标的权重按比例折算），"
                "纳入企业不少于5家且本期办结问题不少于3件的乡镇参与排名。")
    red = ranking[:3]
    black = ranking[3:][-3:] if len(ranking) >= 4 else []
    honours: dict[str, Any] = {"red": None, "black": None, "note": None, "not_ranked": not_ranked}
    if not ranking:
        honours["note"] = "本期无乡镇达到参与排名的条件，不设红黑榜。"
        w.paragraph(honours["note"])
    else:
        names = "、".join(name_of(r["township"]) for r in red)
        w.paragraph(f"红榜：{names}综合得分位列前{len(red)}名，予以通报表扬。", style="red")
        honours["red"] = w.table("红榜", RANK_COLUMNS, _ranking_rows(w, red, name_of), style="red")["id"]
        if black:
            names = "、".join(name_of(r["township"]) for r in black)
            w.paragraph(f"黑榜：{names}综合得分排名靠后，予以通报批评，请认真查找原因、限期整改。", style="black")
            honours["black"] = w.table("黑榜", RANK_COLUMNS, _ranking_rows(w, black, name_of), style="black")["id"]
        else:
            honours["note"] = f"本期参与排名的乡镇仅{len(ranking)}个（不足4个），不设黑榜。"
            w.paragraph(honours["note"])
    if not_ranked:
        w.paragraph("以下乡镇未参与本期排名：" + "；".join(f"{r['name']}（{r['reason']}）" for r in not_ranked) + "。")
    return honours


def _requirements(w: _Writer, county: bool) -> None:
    who = "各乡镇、各责任单位" if county else "各村（社区）、各责任单位"
    w.paragraph(f"（一）提高走访质效。{who}要对照走访覆盖率和县级领导走访情况，补齐未走访企业，做到应访尽访。")
    w.paragraph("（二）加快问题办结。对期末未办结特别是超期问题逐件跟踪、限时销号，做到按时办结、应解尽解。")
    w.paragraph("（三）提升企业满意度。对回访中企业不满意的问题及时跟进，确保问题真解决、企业真满意。")


def outline(bulletin: dict[str, Any]) -> dict[str, Any]:
    """Everything the bulletin's document says, as data (see the module's docstring)."""
    scope, period = bulletin["scope"], bulletin["period"]
    report = bulletin["report"]
    names = bulletin.get("names") or {}
    townships = names.get("townships") or {}
    county_name = names.get("county") or ""
    county = scope == COUNTY
    name_of = lambda t: townships.get(t) or t  # noqa: E731
    scope_name = (county_name or "全县") if county else name_of(scope)
    issuer = bulletin.get("issuer") or (f"{county_name}遍访企业助企纾困工作领导小组办公室" if county
                                        else f"{name_of(scope)}遍访企业助企纾困工作领导小组")
    label = period_label(period)
    title = f"关于{label}遍访企业助企纾困工作情况的通报"
    date = local_date(bulletin["published_at"])
    w = _Writer()
    w.paragraph("各乡镇党委、政府，县直各有关单位：" if county else "各村（社区），镇直各单位：", style="salutation")
    w.paragraph(f"为深入推进遍访企业、助企纾困工作，现将{label}{'全县' if county else scope_name}工作情况通报如下。")
    w.heading("一、总体情况")
    main = report["total"] if county else report
    who = "全县" if county else scope_name
    _summary(w, main, who, "全县" if county else scope_name, label)
    _indicator_table(w, main, who)
    n = 2
    heading = lambda text: w.heading(f"{'一二三四五六七八九十'[n - 1]}、{text}")  # noqa: E731
    honours = None
    if county:
        rows = [(name_of(r["township"]), r) for r in report.get("townships") or []]
        heading("各乡镇工作情况")
        for key in ("coverage_rate", "on_time_rate"):
            known = [(name, r[key]) for name, r in rows if r.get(key) is not None]
            if len(known) >= 2:
                hi = max(known, key=lambda x: x[1])
                lo = min(known, key=lambda x: x[1])
                w.paragraph(f"各乡镇中，{LABELS[key]}最高的是{hi[0]}（{w.figure(f'{hi[0]}·{LABELS[key]}', pct(hi[1]))}），"
                            f"最低的是{lo[0]}（{w.figure(f'{lo[0]}·{LABELS[key]}', pct(lo[1]))}）。")
        _report_table(w, "各乡镇走访和问题办理情况",
                      ["enterprises_registered", "enterprises_visited", "coverage_rate", "visits", "county_leader_visits",
                       "issues_raised", "issues_closed", "on_time_rate", "resolution_rate", "satisfaction_rate"],
                      rows, ("全县合计", "全县", main))
        if rows:
            w.chart("各乡镇走访覆盖率与按时办结率", "%", [name for name, _ in rows],
                    [{"name": LABELS[k], "values": [_rate_value(r.get(k)) for _, r in rows]}
                     for k in ("coverage_rate", "on_time_rate")])
        if report.get("ranking"):
            w.table("各乡镇综合排名", RANK_COLUMNS, _ranking_rows(w, report["ranking"], name_of))
        n += 1
        heading("红黑榜")
        honours = _honours(w, report, name_of)
        n += 1
    heading("走访和“四送”服务")
    if not any(isinstance(main.get(g), dict) for g, _, _ in GROUPS):
        w.paragraph("本期通报未统计走访类型和“四送”服务情况。")
    else:
        w.paragraph("本期走访类型和“四送”服务开展情况见下图。")
    _visits_charts(w, main, "")
    n += 1
    heading("问题类别")
    _category_table(w, main, who)
    n += 1
    if bulletin.get("units") is not None:
        heading("责任单位办理情况")
        if bulletin["units"]:
            _units_table(w, bulletin["units"], names)
        else:
            w.paragraph("本期无交办到责任单位的问题。")
        n += 1
    heading("下一步工作要求")
    _requirements(w, county)
    w.body.append({"type": "signature", "issuer": issuer, "date": date})
    if county and report.get("townships"):
        rows = [(name_of(r["township"]), r) for r in report["townships"]]
        total = ("全县合计", "全县", main)
        w.heading("附表")
        _report_table(w, "各乡镇问题办理明细", ["issues_closed_on_time", "issues_resolved", "issues_open_at_end",
                                                "issues_overdue_at_end", "acknowledgements", "acknowledged_on_time",
                                                "returns", "findings_raised", "findings_closed"], rows, total, appendix=True)
        _report_table(w, "各乡镇走访方式和类型", ["visits_in_person", "visits_by_channel.in_person", "visits_by_channel.phone",
                                                 "visits_by_channel.remote", "visits_by_kind.routine",
                                                 "visits_by_kind.visit_day", "visits_by_kind.walkthrough",
                                                 "visits_by_kind.joint"], rows, total, appendix=True)
        _report_table(w, "各乡镇“四送”服务和企业诉求", ["services_delivered.policy", "services_delivered.warmth",
                                                       "services_delivered.vitality", "services_delivered.confidence",
                                                       "demands_raised", "demands_resolved_on_spot", "on_spot_rate"],
                      rows, total, appendix=True)
        _report_table(w, "各乡镇问题办理用时（工作日）", ["mean_working_days_to_acknowledge", "p90_working_days_to_acknowledge",
                                                       "mean_working_days_to_close", "p90_working_days_to_close"],
                      rows, total, appendix=True)
    number = bulletin.get("number") or UNNUMBERED
    digest = bulletin.get("hash") or ""
    verify = f"GET /api/v1/bulletins/{scope}/{period}/verify"
    position = _position(bulletin.get("position"))
    footer_lines = [f"本通报数据冻结于事件日志位置{position}，", f"内容哈希 {digest}，", f"可通过 {verify} 核验。"]
    return {
        "scope": scope, "period": period, "scope_name": scope_name, "period_label": label,
        "issuer": issuer, "number": number, "title": title, "date": date,
        "published_at": bulletin["published_at"], "published_by": bulletin.get("published_by"),
        "hash": digest, "position": position, "verify": verify,
        "body": w.body, "tables": w.tables, "charts": w.charts, "honours": honours,
        "footer": "".join(footer_lines), "footer_lines": footer_lines,
        "figures": w.figures,
    }
