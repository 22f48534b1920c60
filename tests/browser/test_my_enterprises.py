"""我的企业: a county leader registered once at county level sees his 包抓 enterprises of two townships, with the last
visit and the open issues; a clerk's token, which names no official, has none."""
from __future__ import annotations

import time

import httpx

from tests.browser import seed

LEADER = "cl-wang-jianguo"  # dev-county-leader's official
ADMIN = {"Authorization": "Bearer dev-county-admin"}
XIYANG = {"Authorization": "Bearer dev-xiyang-clerk"}


def test_the_leader_sees_his_enterprises_of_two_townships_with_last_visit_and_open_issues(person, ui):
    visits = ui.url("visits")
    r = httpx.put(f"{visits}/api/v1/townships/county/officials/{LEADER}", headers=ADMIN,
                  json={"name": "王建国", "rank": "county", "unit": "县政府"})
    assert r.status_code in (200, 201), r.text
    dacheng = seed.enterprise(ui, "我的企业测试·大程机械", [LEADER])
    xiyang = seed.uscc()
    r = httpx.post(f"{visits}/api/v1/townships/xiyang/enterprises", headers=XIYANG, json={
        "enterprise_id": xiyang, "name": "我的企业测试·西阳食品", "category": "trade", "registered_on": "2026-01-05",
        "assigned_official_ids": [LEADER]})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{visits}/api/v1/townships/xiyang/visits", headers=XIYANG, json={
        "enterprise_id": xiyang, "visited_on": "2026-03-09", "visitor_ids": [LEADER], "channel": "in_person", "kind": "routine"})
    assert r.status_code == 201, r.text
    seed.issue(ui, dacheng, description="需协调用地指标", category="land", raised_on="2026-03-10")
    deadline = time.monotonic() + 60  # the issue reaches the visits service through issues.v1
    while True:
        found = httpx.get(f"{visits}/api/v1/officials/{LEADER}/enterprises", headers=ADMIN).json()
        if any(e["enterprise_id"] == dacheng and e.get("open_issues") for e in found["enterprises"]):
            break
        assert time.monotonic() < deadline, found
        time.sleep(0.5)

    leader = person("dev-county-leader", phone=True)
    leader.page.locator("details.menu summary").click()
    leader.page.locator("nav a", has_text="我的企业").click()
    leader.page.wait_for_url("**/my-enterprises")
    rows = leader.page.locator("#mine-list tr")
    here = rows.filter(has_text="我的企业测试·大程机械").inner_text()
    there = rows.filter(has_text="我的企业测试·西阳食品").inner_text()
    assert "大程镇" in here and "从未走访" in here and "1 个" in here
    assert "西阳镇" in there and "2026-03-09（王建国）" in there and "无" in there
    assert "个乡镇" in leader.page.locator("#mine-summary").inner_text()
    leader.shot("mine-leader-phone")

    # 考评: his Xiyang card meets the default quota (a county leader, one visit a quarter to each enterprise).
    def xiyang_card():
        cards = httpx.get(f"{ui.url('reporting')}/api/v1/scorecards/xiyang/2026-Q1", headers=ADMIN).json()["officials"]
        return next((c for c in cards if c["official_id"] == LEADER and c["attainment_rate"] is not None), None)

    deadline = time.monotonic() + 60
    while (card := xiyang_card()) is None or card["quota_met"] < 1:
        assert time.monotonic() < deadline, card
        time.sleep(0.5)
    page = leader.go("/reports/scorecards?scope=county&period=2026-Q1")
    row = page.locator("#officials tr.mine", has_text="西阳镇").inner_text()  # his own card, marked 本人
    assert f"{card['attainment_rate']:.0%}（{card['quota_met']}/{card['quota_due']}）" in row.replace(" ", "")
    assert "达标率" in page.locator("#officials thead").inner_text()

    clerk = person("dev-dacheng-clerk")
    page = clerk.go("/my-enterprises")
    assert "没有“我的企业”" in page.locator("main").inner_text()
    assert page.locator("nav a", has_text="我的企业").count() == 0
