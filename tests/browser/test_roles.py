"""Each role its own workbench; a write from another township refused; a service that is down is a message."""
from __future__ import annotations

import httpx

from tests.browser import seed
from tests.support.processes import ServiceProcess, free_port

LEADER = "cl-wang-jianguo"  # dev-county-leader's official


def test_the_leader_sees_his_baozhua_enterprises_with_last_visit_and_open_issues(person, ui):
    r = httpx.get(f"{ui.url('visits')}/api/v1/townships/dacheng/officials", headers=seed.CLERK)
    if LEADER not in {o["official_id"] for o in r.json()}:
        seed.official(ui, "王建国", rank="county", oid=LEADER)
    town = seed.official(ui, "角色测试镇干部")
    eid = seed.enterprise(ui, "王建国包抓测试企业", [LEADER])
    seed.visit(ui, eid, [LEADER, town], "2026-03-12", kind="joint")
    seed.issue(ui, eid, description="需协调电力增容", category="infrastructure", raised_on="2026-03-12")
    leader = person("dev-county-leader")
    assert "包抓领导" in leader.page.locator("#who").inner_text()
    row = leader.page.locator("#mine tr", has_text="王建国包抓测试企业")
    assert "大程镇" in row.inner_text() and "2026-03-12" in row.inner_text() and "水电气路" in row.inner_text()
    leader.shot("workbench-leader-desktop")


def test_the_supervisor_sees_county_counts(person):
    supervisor = person("dev-county-viewer", phone=True)
    counts = supervisor.page.locator("#county-counts").inner_text()
    assert "办理中" in counts and "红色" in counts
    supervisor.shot("workbench-county-phone")


def test_a_write_for_another_township_is_refused(person, ui):
    eid = seed.enterprise(ui, "别镇不能改的企业")
    other = person("dev-xiyang-clerk")
    csrf = other.page.locator('meta[name="csrf-token"]').get_attribute("content")
    # The page's own form, aimed at dacheng's enterprise: the console writes only in the clerk's own township.
    other.page.goto(f"{other.base}/enterprises/{eid}?township=dacheng")
    assert "没有找到" in other.page.locator(".problem").inner_text()
    cookies = {c["name"]: c["value"] for c in other.page.context.cookies()}
    forged = httpx.post(f"{other.base}/enterprises/{eid}/assignments?township=dacheng", cookies=cookies,
                        data={"csrf": csrf, "official_id": "x", "start": "2026-03-01"}, headers={"Origin": other.base})
    assert forged.status_code in (403, 404, 422) and "Traceback" not in forged.text
    detail = httpx.get(f"{ui.url('visits')}/api/v1/townships/dacheng/enterprises/{eid}", headers=seed.CLERK).json()
    assert detail["assignments"] == []  # nothing changed in dacheng
    viewer = person("dev-dacheng-viewer")
    csrf = viewer.page.locator('meta[name="csrf-token"]').get_attribute("content")
    cookies = {c["name"]: c["value"] for c in viewer.page.context.cookies()}
    refused = httpx.post(f"{viewer.base}/enterprises/{eid}/assignments", cookies=cookies,
                         data={"csrf": csrf, "official_id": "x", "start": "2026-03-01"}, headers={"Origin": viewer.base})
    assert refused.status_code == 403 and "权限" in refused.text


def test_a_service_that_is_down_is_a_chinese_message_not_a_trace(ui, chromium):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    console = ServiceProcess("console", {"VISITS_URL": ui.url("visits"), "ISSUES_URL": dead, "REPORTING_URL": dead,
                                         "CONSOLE_MONGODB_DB": "ui_console_down"}).start()
    try:
        page = chromium.new_page(viewport={"width": 360, "height": 640}, locale="zh-CN")
        page.goto(console.url + "/signin")
        page.fill("#token", "dev-dacheng-clerk")
        page.click("button[type=submit]")
        text = page.locator(".problem").inner_text()
        assert "服务暂时不可用" in text and "Traceback" not in page.content()
        page.screenshot(path=str(seed_screens() / "service-down-phone.png"), full_page=True)
        page.close()
    finally:
        console.stop()


def seed_screens():
    from tests.browser.conftest import SCREENS

    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
