"""The ledgers (台账): the issue ledger and the visit ledger from hand-made facts — every column of a full issue and a
full visit, blanks for facts stored before the new fields, the period rule, county and township, the units' names,
and the files (CSV with a BOM, XLSX that openpyxl reads back to the same rows)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from contracts import parse
from reporting.facts import (
    ACKNOWLEDGED, ASSIGNED, CLOSED, ENTERPRISES, FOLLOWED_UP, RAISED, REOPENED, RETURNED, VISITS, facts_for,
)
from reporting.ledgers import ISSUE_COLUMNS, VISIT_COLUMNS, issue_rows, ledger, visit_rows
from reporting.report import Period

Q1 = Period.parse("2026-Q1")
E1, E2 = "91330782MA2ABCD13A", "91610422MA6TGQ5X2B"
NAMES = {"dacheng": "大程镇", "xiyang": "西阳镇"}
T = "2026-03-02T02:30:00+00:00"


def enterprise(township="dacheng", eid=E1, name="金华精密机械有限公司", on="2026-01-05", event="e1"):
    return {"township": township, "enterprise_id": eid, "name": name, "category": "industry", "registered_on": on,
            "assigned_officials": [], "event_id": event}


def raised(issue="i1", township="dacheng", eid=E1, on="2026-02-02", deadline="2026-02-16", time=T, old=False, **extra):
    doc = {"township": township, "issue_id": issue, "enterprise_id": eid, "time": time, "event_id": f"r-{issue}",
           "raised_on": on, "deadline": deadline, "responsible_unit": extra.pop("responsible_unit", "镇人社所"),
           "category": "labour"}
    if not old:  # an IssueRaised fact stored before the ledger's fields has no unit_id, description, source, visit_id
        doc.update({"unit_id": None, "description": "缺焊工20名", "source": "visit", "visit_id": "v1"})
    return {**doc, **extra}


def closed(issue="i1", township="dacheng", eid=E1, on="2026-02-10", deadline="2026-02-16", time=T, old=False, **extra):
    doc = {"township": township, "issue_id": issue, "enterprise_id": eid, "time": time, "event_id": f"c-{issue}-{on}",
           "raised_on": "2026-02-02", "deadline": deadline, "closed_on": on, "category": "labour",
           "satisfaction": "satisfied"}
    if not old:
        doc.update({"outcome": "resolved", "unit_id": "dacheng-rss", "working_days": 6, "resolution": "对接人社局招聘会，已招到18人"})
    return {**doc, **extra}


def issue_fact(issue="i1", township="dacheng", **fields):
    return {"township": township, "issue_id": issue, "enterprise_id": E1, "time": T, "event_id": f"x-{issue}-{len(fields)}-"
            + "-".join(map(str, fields.values())), **fields}


def full_issue() -> dict[str, list[dict]]:
    return {
        ENTERPRISES: [enterprise(), enterprise(name="金华精密机械股份有限公司", on="2026-02-01", event="e2")],
        RAISED: [raised(unit_id="dacheng-rss")],
        ASSIGNED: [issue_fact(assigned_on="2026-02-03", unit_id="c-rsj", responsible_unit="县人社局")],
        ACKNOWLEDGED: [issue_fact(acknowledged_on="2026-02-03", unit_id="dacheng-rss", responsible_unit="大程镇人社所",
                                  assigned_on="2026-02-02", working_days=1, on_time=True),
                       issue_fact(acknowledged_on="2026-02-05", unit_id="c-rsj", responsible_unit="县人力资源和社会保障局",
                                  assigned_on="2026-02-04", working_days=1, on_time=True)],
        RETURNED: [issue_fact(returned_on="2026-02-04", unit_id="c-rsj", responsible_unit="县人社局")],
        CLOSED: [closed(unit_id="c-rsj")],
        FOLLOWED_UP: [issue_fact(followed_up_on="2026-02-12", satisfaction="very_satisfied", unit_id="c-rsj")],
    }


def full_visit(**extra) -> dict:
    return {"township": "dacheng", "visit_id": "v1", "enterprise_id": E1, "visited_on": "2026-02-01", "channel": "in_person",
            "kind": "joint",
            "visitors": [{"official_id": "c-1", "name": "王建国", "rank": "township"},
                         {"official_id": "c-2", "name": "李县长", "rank": "county"}],
            "services": ["warmth", "policy"], "demands": 2,
            "demand_list": [{"category": "labour", "description": "缺焊工20名", "resolved_on_spot": False},
                            {"category": "policy", "description": "技改补贴未到位", "resolved_on_spot": True}],
            "demands_on_spot": 1, "summary": "了解生产经营情况，宣讲惠企政策", "event_id": "ev1", **extra}


def test_a_full_issue_fills_every_column():
    [row] = issue_rows(full_issue(), Q1, NAMES, [{"unit_id": "c-rsj", "name": "县人力资源和社会保障局", "time": T, "event_id": "u1"}])
    assert row == {
        "township": "大程镇", "issue_id": "i1", "enterprise_name": "金华精密机械股份有限公司", "enterprise_id": E1,
        "source": "走访", "category": "用工", "description": "缺焊工20名", "raised_on": "2026-02-02",
        "unit": "县人力资源和社会保障局", "deadline": "2026-02-16", "closed_on": "2026-02-10", "on_time": "是",
        "outcome": "已解决", "resolution": "对接人社局招聘会，已招到18人",
        "satisfaction": "非常满意",  # the 回访 after the close, not the close's 满意
        "state_at_end": "已办结", "acknowledged_on": "2026-02-05", "returns": 1,
    }
    assert set(row) == {k for k, _ in ISSUE_COLUMNS} and all(v not in (None, "") for v in row.values())


def test_a_full_visit_fills_every_column():
    facts = {ENTERPRISES: [enterprise()], VISITS: [full_visit()]}
    [row] = visit_rows(facts, Q1, NAMES)
    assert row == {
        "township": "大程镇", "visit_id": "v1", "visited_on": "2026-02-01", "enterprise_name": "金华精密机械有限公司",
        "enterprise_id": E1, "channel": "实地走访", "kind": "联合走访", "visitors": "王建国、李县长", "county_leader": "是",
        "services": "送政策、送温暖", "demands": "用工：缺焊工20名；政策兑现：技改补贴未到位", "demand_count": 2,
        "demands_on_spot": 1, "summary": "了解生产经营情况，宣讲惠企政策",
    }
    assert set(row) == {k for k, _ in VISIT_COLUMNS}


def test_facts_from_the_contract_samples_fill_the_visit_ledger():
    samples = Path(__file__).resolve().parents[2] / "contracts" / "samples"
    facts: dict[str, list[dict]] = {}
    for name in ("VisitLogged", "EnterpriseRegistered"):
        for collection, doc in facts_for(parse((samples / f"{name}.v1.json").read_bytes())):
            facts.setdefault(collection, []).append(doc)
    visit = facts[VISITS][0]
    [row] = visit_rows(facts, Period.parse(visit["visited_on"][:7]))
    assert row["visit_id"] == visit["visit_id"] and row["demand_count"] == len(visit["demand_list"])
    assert row["demands"].count("：") == len(visit["demand_list"]) and row["visitors"].startswith(visit["visitors"][0]["name"])


def test_old_facts_without_the_new_fields_give_blanks_never_an_error():
    old_visit = {k: v for k, v in full_visit().items() if k not in ("kind", "demand_list", "demands_on_spot", "summary")}
    [v] = visit_rows({VISITS: [old_visit]}, Q1)  # no registration either: no name
    assert v["township"] == "dacheng"  # no names: the id
    assert (v["enterprise_name"], v["kind"], v["demands"], v["demands_on_spot"], v["summary"]) == (None, None, None, None, None)
    assert v["demand_count"] == 2 and v["channel"] == "实地走访"
    facts = {RAISED: [raised(old=True, responsible_unit=None)], CLOSED: [closed(old=True)]}
    [i] = issue_rows(facts, Q1)
    assert (i["source"], i["description"], i["unit"], i["outcome"], i["resolution"], i["acknowledged_on"]) == (None,) * 6
    assert (i["closed_on"], i["satisfaction"], i["state_at_end"], i["returns"]) == ("2026-02-10", "满意", "已办结", 0)
    # a close that arrived without its raise still makes a row, from the close's own facts
    [only_close] = issue_rows({CLOSED: [closed(old=True)]}, Q1)
    assert only_close["raised_on"] == "2026-02-02" and only_close["source"] is None
    blank = ledger("issues", facts, Q1, "csv")[0].decode("utf-8-sig")
    assert ",满意,已办结,,0" in blank


def test_the_period_rule_raised_or_closed_in_it_or_open_at_its_end():
    facts = {
        RAISED: [raised("before-open", on="2025-12-01", deadline="2026-04-30"),   # open through Q1: listed
                 raised("before-closed", on="2025-11-01", deadline="2025-12-01"),  # closed in Q4: not listed
                 raised("closed-in-q1", on="2025-12-10", deadline="2026-01-10"),   # raised before, closed in Q1: listed
                 raised("raised-in-q1", on="2026-03-01", deadline="2026-03-10"),   # raised and open: overdue at the end
                 raised("after", on="2026-04-02", deadline="2026-04-20"),          # raised after: not listed
                 raised("closed-after", on="2026-03-20", deadline="2026-04-30")],  # closed after Q1: open at its end
        CLOSED: [closed("before-closed", on="2025-11-20", deadline="2025-12-01"),
                 closed("closed-in-q1", on="2026-01-20", deadline="2026-01-10"),
                 closed("closed-after", on="2026-04-03", deadline="2026-04-30")],
    }
    rows = {r["issue_id"]: r for r in issue_rows(facts, Q1)}
    assert list(rows) == ["before-open", "closed-in-q1", "raised-in-q1", "closed-after"]  # by 提出日期
    assert rows["before-open"]["state_at_end"] == "未办结" and rows["raised-in-q1"]["state_at_end"] == "超期未办结"
    assert (rows["closed-in-q1"]["closed_on"], rows["closed-in-q1"]["on_time"]) == ("2026-01-20", "否")
    assert rows["closed-after"]["closed_on"] is None and rows["closed-after"]["outcome"] is None
    assert rows["closed-after"]["state_at_end"] == "未办结"
    # Q2's ledger: the one still open, the one raised in Q2, the one closed in Q2
    assert [r["issue_id"] for r in issue_rows(facts, Period.parse("2026-Q2"))] == ["before-open", "raised-in-q1", "closed-after", "after"]


def test_reopened_returned_and_the_deadline_in_force_at_the_end():
    facts = {
        RAISED: [raised("re", deadline="2026-02-16"), raised("ret", on="2026-03-02", deadline="2026-04-30"),
                 raised("ext", on="2026-03-02", deadline="2026-03-16")],
        CLOSED: [closed("re", on="2026-02-10")],
        REOPENED: [issue_fact("re", reopened_on="2026-03-01", deadline="2026-04-15")],
        RETURNED: [issue_fact("ret", returned_on="2026-03-05", unit_id="dacheng-rss", responsible_unit="镇人社所")],
        "issue_deadlines": [issue_fact("ext", changed_on="2026-03-10", deadline="2026-04-10"),
                            issue_fact("ext", changed_on="2026-04-05", deadline="2026-05-10")],  # after Q1: not yet in force
    }
    rows = {r["issue_id"]: r for r in issue_rows(facts, Q1)}
    assert (rows["re"]["state_at_end"], rows["re"]["deadline"], rows["re"]["closed_on"]) == ("已重新打开", "2026-04-15", None)
    assert (rows["ret"]["state_at_end"], rows["ret"]["returns"]) == ("已退回待重新交办", 1)
    assert (rows["ext"]["deadline"], rows["ext"]["state_at_end"]) == ("2026-04-10", "未办结")
    # routed again after the return: open with its new unit
    facts[ASSIGNED] = [issue_fact("ret", assigned_on="2026-03-06", unit_id="c-rsj", responsible_unit="县人社局")]
    ret = {r["issue_id"]: r for r in issue_rows(facts, Q1)}["ret"]
    assert (ret["state_at_end"], ret["unit"], ret["returns"]) == ("未办结", "县人社局", 1)


def test_county_and_township_scope_and_the_visits_order():
    facts = {
        ENTERPRISES: [enterprise(), enterprise("xiyang", E2, "西阳纺织有限公司")],
        VISITS: [full_visit(visit_id="v2", visited_on="2026-03-01"), full_visit(visit_id="v9", visited_on="2026-02-01"),
                 full_visit(township="xiyang", visit_id="v1", enterprise_id=E2, visited_on="2026-02-01"),
                 full_visit(visit_id="v0", visited_on="2026-04-01")],  # after the period
        RAISED: [raised("i1"), raised("i2", township="xiyang", eid=E2)],
    }
    county = visit_rows(facts, Q1, NAMES)
    assert [(r["visited_on"], r["township"], r["visit_id"]) for r in county] == [
        ("2026-02-01", "大程镇", "v9"), ("2026-02-01", "西阳镇", "v1"), ("2026-03-01", "大程镇", "v2")]
    assert county[1]["enterprise_name"] == "西阳纺织有限公司"  # the enterprise of its own township
    assert [r["visit_id"] for r in visit_rows(facts, Q1, NAMES, township="dacheng")] == ["v9", "v2"]
    assert [r["township"] for r in issue_rows(facts, Q1, NAMES)] == ["大程镇", "西阳镇"]
    assert [r["issue_id"] for r in issue_rows(facts, Q1, township="xiyang")] == ["i2"]
    assert visit_rows(facts, Period.parse("2026-01"), NAMES) == []


def test_a_units_name_registered_else_carried_else_free_text():
    registry = [{"unit_id": "c-rsj", "name": "县人社局", "time": "2026-01-01T00:00:00+00:00", "event_id": "a"},
                {"unit_id": "c-rsj", "name": "县人力资源和社会保障局", "time": "2026-02-01T00:00:00+00:00", "event_id": "b"}]
    facts = {
        RAISED: [raised("reg", unit_id="c-rsj", responsible_unit="人社"),
                 raised("carried", unit_id="c-zrzyj", responsible_unit="县自然资源局"),
                 raised("text", responsible_unit="镇综合服务中心"), raised("none", responsible_unit=None)],
        ACKNOWLEDGED: [issue_fact("carried", acknowledged_on="2026-02-03", unit_id="c-zrzyj", responsible_unit="县自然资源和规划局",
                                  assigned_on="2026-02-02", working_days=1, on_time=True, time="2026-03-03T00:00:00+00:00")],
    }
    units = {r["issue_id"]: r["unit"] for r in issue_rows(facts, Q1, units=registry)}
    assert units == {"reg": "县人力资源和社会保障局", "carried": "县自然资源和规划局", "text": "镇综合服务中心", "none": None}
    assert {r["issue_id"]: r["unit"] for r in issue_rows(facts, Q1)}["reg"] == "人社"  # not registered: the name it carried


def test_csv_has_a_bom_and_the_chinese_headers_and_xlsx_the_same_rows():
    facts = {**full_issue(), VISITS: [full_visit(), full_visit(visit_id="v2", visited_on="2026-03-03", demand_list=[], demands=0)]}
    for kind, columns, rows in (("issues", ISSUE_COLUMNS, issue_rows(facts, Q1, NAMES)),
                                ("visits", VISIT_COLUMNS, visit_rows(facts, Q1, NAMES))):
        content, title = ledger(kind, facts, Q1, "csv", NAMES)
        assert title == {"issues": "问题台账", "visits": "走访台账"}[kind]
        assert content.startswith(b"\xef\xbb\xbf")
        [header, *body] = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert header == [label for _, label in columns] and header[0] == "乡镇"
        expected = [["" if r[k] is None else str(r[k]) for k, _ in columns] for r in rows]
        assert body == expected

        book = load_workbook(io.BytesIO(ledger(kind, facts, Q1, "xlsx", NAMES)[0]))
        sheet = book.active
        assert sheet.title == f"2026-Q1{title}" and sheet.freeze_panes == "A2"
        got = [[c.value for c in r] for r in sheet.iter_rows()]
        assert got[0] == header
        assert [["" if v is None else str(v) for v in r] for r in got[1:]] == expected
        assert all(isinstance(v, str) for r in got[1:] for (k, _), v in zip(columns, r) if k.endswith("_on") and v)  # dates as text
        assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEF")
    visits_sheet = load_workbook(io.BytesIO(ledger("visits", facts, Q1, "xlsx", NAMES)[0])).active
    assert visits_sheet["L2"].value == 2 and visits_sheet["L3"].value == 0 and visits_sheet["K3"].value is None
