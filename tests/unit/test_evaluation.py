"""The year-end evaluation (年终考评) from facts: scores against hand-computed examples, grades, ranks, the weights'
validation, and the XLSX and Word documents (their content, and the same bytes each time)."""
from __future__ import annotations

import io
import time
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from contracts import encode, parse
from contracts.envelope import CHINA, new_event
from contracts.events import (
    EnterpriseRegistered, IssueClosed, IssueRaised, Official, UnitRegistered, VisitLogged,
)
from reporting import evaluation
from reporting.bulletins import content_hash
from reporting.evaluation import docx, evaluate, grade, ranked, score, xlsx, year_of
from reporting.facts import facts_for
from reporting.weights import DEFAULT_WEIGHTS, WeightsIn

E1, E2, E3 = "91110000600037341L", "91330782MA2ABCD13A", "916104227JH4BXKF5A"
LI = Official(official_id="li", name="李县长", rank="county")
HAO = Official(official_id="hao", name="郝镇长", rank="township")
ALL = {"coverage": 0.3, "on_time": 0.25, "resolution": 0.2, "satisfaction": 0.15, "attainment": 0.1}


def facts(*told):
    """(township, payload) pairs → the facts, as the store keeps them."""
    store: dict[str, dict] = {}
    for n, (township, p) in enumerate(told):
        event = parse(encode(new_event(p, township=township, source="/t", time=datetime(2026, 1, 1, 8, n, tzinfo=CHINA))))
        for collection, doc in facts_for(event):
            store.setdefault(collection, {})[doc.pop("_id")] = doc
    return {c: list(d.values()) for c, d in store.items()}


def issue(issue_id, unit_id, raised_on, deadline, closed_on, outcome, satisfaction, enterprise_id=E1):
    common = dict(issue_id=issue_id, enterprise_id=enterprise_id, category="labour", raised_on=raised_on, deadline=deadline)
    return [IssueRaised(source="visit", description="缺工", responsible_unit=None, unit_id=unit_id, **common),
            IssueClosed(closed_on=closed_on, outcome=outcome, resolution="r", satisfaction=satisfaction, unit_id=unit_id, **common)]


def year_facts():
    """Dacheng: E1, E2 assigned to 李县长 (county leader, quota 1 visit a quarter), E1 visited in February; two issues
    of 县人社局, one closed on time, resolved, very satisfied, one late, explained, dissatisfied.
    Xiyang: E3 (nobody assigned) visited by 郝镇长 (no quota for his rank); one issue of 西阳镇人社所, all good."""
    d = [EnterpriseRegistered(enterprise_id=e, name=e, category="industry", registered_on="2026-01-01", assigned_officials=[LI])
         for e in (E1, E2)]
    d.append(VisitLogged(visit_id="v1", enterprise_id=E1, visited_on="2026-02-01", channel="in_person", kind="routine",
                         visitors=[LI]))
    d += issue("i1", "c-rsj", "2026-03-01", "2026-03-15", "2026-03-10", "resolved", "very_satisfied")
    d += issue("i2", "c-rsj", "2026-03-01", "2026-03-05", "2026-03-10", "explained", "dissatisfied")
    x = [EnterpriseRegistered(enterprise_id=E3, name="c", category="industry", registered_on="2026-01-01"),
         VisitLogged(visit_id="v2", enterprise_id=E3, visited_on="2026-05-01", channel="in_person", kind="routine", visitors=[HAO])]
    x += issue("i3", "xiyang-rss", "2026-04-01", "2026-04-20", "2026-04-10", "resolved", "satisfied", E3)
    units = [UnitRegistered(unit_id="c-rsj", name="县人社局", kind="county_department"),
             UnitRegistered(unit_id="xiyang-rss", name="西阳镇人社所", kind="township_office")]
    return facts(*(("dacheng", p) for p in d), *(("xiyang", p) for p in x), *(("county", p) for p in units))


# LI's attainment: 4 quarters × 2 enterprises due, only (Q1, E1) met: 90 of the 730 assigned days.
LI_ATTAINMENT = 90 / 730


def test_the_default_weights_are_the_documented_ones():
    assert DEFAULT_WEIGHTS == ALL and sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1)


def test_a_score_is_the_weighted_mean_of_the_rates_there_times_100_and_a_missing_rate_drops_out_with_its_weight():
    rates = {"coverage": 0.8, "on_time": 1.0, "resolution": 0.5, "satisfaction": None, "attainment": 0.6}
    # (0.3·0.8 + 0.25·1 + 0.2·0.5 + 0.1·0.6) / (0.3 + 0.25 + 0.2 + 0.1) = 0.65 / 0.85
    assert score(rates, ALL) == 76.47
    assert score({"coverage": 1.0}, ALL) == 100.0  # one rate: the weight cancels
    assert score({"coverage": None, "on_time": None}, ALL) is None  # nothing to score
    # A part weighed 0 counts for nothing, whatever its rate; only zero weights there: no score.
    zero = {**ALL, "coverage": 0}
    assert score({"coverage": 0.1, "on_time": 0.9, "resolution": 0.7}, {**zero, "satisfaction": 0, "attainment": 0,
                                                                       "on_time": 1, "resolution": 1}) == 80.0
    assert score({"coverage": 0.1}, zero) is None
    # Half up at 2 decimals (84.125 is exact in binary: round() would give 84.12).
    assert score({"on_time": 0.84125}, ALL) == 84.13
    # Weights 30/25/20/15/10 are the same proportions as the defaults.
    assert score(rates, {k: 100 * v for k, v in ALL.items()}) == 76.47


@pytest.mark.parametrize("value,expected", [(100, "优秀"), (90, "优秀"), (89.99, "良好"), (75, "良好"), (74.99, "合格"),
                                            (60, "合格"), (59.99, "不合格"), (0, "不合格"), (None, None)])
def test_grades(value, expected):
    assert grade(value) == expected


def test_equal_scores_share_a_rank_the_next_skips_and_unscored_rows_come_last():
    rows = [{"id": i, "score": s} for i, s in enumerate([80.0, 90.0, 80.0, 70.0, None, 59.5])]
    out = ranked(rows, lambda r: r["id"])
    assert [(r["id"], r["rank"], r["grade"]) for r in out] == [
        (1, 1, "优秀"), (0, 2, "良好"), (2, 2, "良好"), (3, 4, "合格"), (5, 5, "不合格"), (4, None, None)]


def test_a_year_is_yyyy_only():
    assert (year_of("2026").start.isoformat(), year_of("2026").end.isoformat()) == ("2026-01-01", "2026-12-31")
    for bad in ("2026-Q1", "2026-01", "26", "0000", "２０２６", "2026 "):
        with pytest.raises(ValueError):
            year_of(bad)


def test_the_county_evaluation_of_a_year_by_hand():
    lists = evaluate(year_facts(), "county", year_of("2026"), ALL, {"county": {"visits": 1, "every": "quarter"}})
    towns = {r["township"]: r for r in lists["townships"]}
    d, x = towns["dacheng"], towns["xiyang"]
    assert (d["coverage_rate"], d["on_time_rate"], d["resolution_rate"], d["satisfaction_rate"]) == (0.5, 0.5, 0.5, 0.5)
    assert d["attainment_rate"] == pytest.approx(LI_ATTAINMENT)
    # 100 · (0.3·0.5 + 0.25·0.5 + 0.2·0.5 + 0.15·0.5 + 0.1·90/730) / 1 = 45 + 1.2329
    assert (d["score"], d["grade"], d["rank"]) == (46.23, "不合格", 2)
    # Xiyang: all rates 1 but attainment, which nobody there has: it drops out with its weight.
    assert (x["coverage_rate"], x["on_time_rate"], x["resolution_rate"], x["satisfaction_rate"], x["attainment_rate"]) == \
           (1.0, 1.0, 1.0, 1.0, None)
    assert (x["score"], x["grade"], x["rank"]) == (100.0, "优秀", 1)
    assert [r["township"] for r in lists["townships"]] == ["xiyang", "dacheng"]
    assert "county" not in towns  # the unit registry is no township

    units = {r["unit_id"]: r for r in lists["units"]}
    c = units["c-rsj"]
    assert (c["name"], c["closed"], c["closed_on_time"], c["resolved"], c["satisfied"]) == ("县人社局", 2, 1, 1, 1)
    assert (c["on_time_rate"], c["resolution_rate"], c["satisfaction_rate"], c["score"], c["grade"], c["rank"]) == \
           (0.5, 0.5, 0.5, 50.0, "不合格", 2)
    assert (units["xiyang-rss"]["score"], units["xiyang-rss"]["rank"]) == (100.0, 1)

    cards = {r["official_id"]: r for r in lists["officials"]}
    li, hao = cards["li"], cards["hao"]
    assert (li["township"], li["name"], li["official_rank"], li["visits_led"], li["coverage_rate"]) == \
           ("dacheng", "李县长", "county", 1, 0.5)
    # 100 · (0.3·0.5 + 0.1·90/730) / 0.4
    assert (li["attainment_rate"], li["score"], li["grade"], li["rank"]) == (pytest.approx(LI_ATTAINMENT), 40.58, "不合格", 1)
    assert (hao["coverage_rate"], hao["attainment_rate"], hao["score"], hao["rank"], hao["visits_led"]) == (None, None, None, None, 1)


def test_weights_change_the_scores_and_a_part_weighed_zero_counts_for_nothing():
    lists = evaluate(year_facts(), "county", year_of("2026"), {**ALL, "coverage": 0}, None)
    towns = {r["township"]: r for r in lists["townships"]}
    # 100 · (0.25·0.5 + 0.2·0.5 + 0.15·0.5 + 0.1·90/730) / 0.7
    assert towns["dacheng"]["score"] == 44.62 and towns["xiyang"]["score"] == 100.0
    li = next(r for r in lists["officials"] if r["official_id"] == "li")
    assert li["score"] == 12.33  # attainment alone


def test_a_townships_evaluation_holds_that_township_only():
    lists = evaluate(year_facts(), "dacheng", year_of("2026"), ALL, None)
    assert [r["township"] for r in lists["townships"]] == ["dacheng"]
    assert [r["unit_id"] for r in lists["units"]] == ["c-rsj"]
    assert [r["official_id"] for r in lists["officials"]] == ["li"]
    assert lists["townships"][0]["score"] == 46.23
    # Another year: nothing happened; the township is listed, unscored.
    empty = evaluate(year_facts(), "dacheng", year_of("2025"), ALL, None)
    assert empty["townships"][0]["score"] is None and empty["units"] == [] and empty["officials"] == []


def test_the_weights_are_five_numbers_at_least_zero_not_all_zero():
    assert WeightsIn(**ALL).model_dump() == ALL
    assert WeightsIn(**{**ALL, "coverage": 0}).coverage == 0
    for bad, field in [({**ALL, "on_time": -0.1}, "on_time"), ({**ALL, "resolution": "x"}, "resolution"),
                       ({k: v for k, v in ALL.items() if k != "attainment"}, "attainment"),
                       ({**ALL, "satisfaction": float("inf")}, "satisfaction"), ({**ALL, "coverage": 10**6}, "coverage"),
                       ({**ALL, "speed": 1}, "speed")]:
        with pytest.raises(ValidationError) as err:
            WeightsIn(**bad)
        assert [e["loc"] for e in err.value.errors()] == [(field,)], bad
    with pytest.raises(ValidationError) as err:
        WeightsIn(**{k: 0 for k in ALL})
    assert "coverage" in str(err.value) and "all 0" in str(err.value)


def test_a_put_of_bad_weights_is_a_422_that_names_the_field():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.put("/w")
    def put(body: WeightsIn):
        return body

    with TestClient(app) as client:
        r = client.put("/w", json={**ALL, "on_time": -1})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "on_time"]
        r = client.put("/w", json={k: 0 for k in ALL})
        assert r.status_code == 422 and "coverage" in r.json()["detail"][0]["msg"]


def published(scope="county", at="2026-12-31T17:00:00+08:00"):
    weights = evaluation.frozen_weights(ALL)
    quotas = {"county": {"visits": 1, "every": "quarter"}}
    lists = evaluate(year_facts(), scope, year_of("2026"), weights, quotas)
    return {"scope": scope, "year": "2026", "published_at": at, "published_by": "县营商办管理员",
            "position": [{"topic": "visits.v1", "partition": 0, "offset": 12}, {"topic": "issues.v1", "partition": 0, "offset": 7}],
            "weights": weights, "quotas": quotas, "hash": content_hash(evaluation.content(weights, quotas, lists)),
            "scorecards": lists, "names": {"county": None, "townships": {"dacheng": "大程镇"}, "units": {}}}


def docx_text(content: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_document_holds_the_title_the_weights_every_score_and_the_hash():
    ev = published()
    text = docx_text(docx(ev, ev["names"]))
    assert "示范县2026年度遍访企业助企纾困工作考评结果" in text  # no county name in the registry: the default
    assert "大程镇" in text and "xiyang" in text  # a township without a registered name: its id
    for name in ("走访覆盖率", "按时办结率", "解决率", "满意率", "达标率", "30.00%", "10.00%"):
        assert name in text
    for key in ("townships", "units", "officials"):
        for row in ev["scorecards"][key]:
            if row["score"] is not None:
                assert f"{row['score']:.2f}" in text and row["grade"] in text
    assert "46.23" in text and "40.58" in text and "100.00" in text and "县人社局" in text and "李县长" in text
    assert ev["hash"] in text and "/api/v1/evaluations/county/2026/verify" in text
    named = docx_text(docx(ev, {"county": "临安县", "townships": {}}))
    assert "临安县2026年度遍访企业助企纾困工作考评结果" in named
    township = published("dacheng")
    assert "大程镇2026年度遍访企业助企纾困工作考评结果" in docx_text(docx(township, township["names"]))


def test_the_same_evaluation_gives_byte_identical_documents():
    ev = published()
    first_docx, first_xlsx = docx(ev, ev["names"]), xlsx(ev, ev["names"])
    time.sleep(1.1)  # a zip entry's time has 2-second steps, the core properties 1 second
    assert docx(ev, ev["names"]) == first_docx and xlsx(ev, ev["names"]) == first_xlsx
    assert docx(published(at="2027-01-05T09:00:00+08:00"), ev["names"]) != first_docx

    from docx import Document

    props = Document(io.BytesIO(first_docx)).core_properties
    assert props.created == props.modified == datetime(2026, 12, 31, 9, 0, tzinfo=timezone.utc)  # published_at


def test_the_workbook_has_three_sheets_with_chinese_headers_and_a_row_per_ranked_row():
    from openpyxl import load_workbook

    ev = published()
    book = load_workbook(io.BytesIO(xlsx(ev, ev["names"])))
    assert book.sheetnames == ["乡镇", "责任单位", "包抓领导"]
    towns = [[c.value for c in row] for row in book["乡镇"].iter_rows()]
    assert towns[0][:9] == ["名次", "乡镇", "走访覆盖率", "按时办结率", "解决率", "满意率", "达标率", "得分", "等级"]
    assert towns[1][:9] == [1, "xiyang", 1, 1, 1, 1, None, 100, "优秀"]
    assert towns[2][:9] == [2, "大程镇", 0.5, 0.5, 0.5, 0.5, round(LI_ATTAINMENT, 4), 46.23, "不合格"]
    units = [[c.value for c in row] for row in book["责任单位"].iter_rows()]
    assert units[0][:8] == ["名次", "责任单位", "办结数", "按时办结率", "解决率", "满意率", "得分", "等级"]
    assert units[1][:8] == [1, "西阳镇人社所", 1, 1, 1, 1, 100, "优秀"] and units[2][:3] == [2, "县人社局", 2]
    officials = [[c.value for c in row] for row in book["包抓领导"].iter_rows()]
    assert officials[0][:8] == ["名次", "乡镇", "姓名", "职级", "包抓企业走访覆盖率", "达标率", "得分", "等级"]
    assert officials[1][:8] == [1, "大程镇", "李县长", "县级领导", 0.5, round(LI_ATTAINMENT, 4), 40.58, "不合格"]
    assert officials[2][:4] == [None, "xiyang", "郝镇长", "镇班子成员"] and officials[2][6] is None
