"""走访登记 and 走访台账: a clerk on a phone logs a visit once (however often the form is sent), meets the disturbance
guard in plain Chinese and gets past it as a joint visit, and reads the ledger; a viewer reads it without writing."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta

import httpx

from buildingblocks.clock import clock
from tests.browser import seed

VISIT_PAGE = re.compile(r"/visits/v-[0-9a-f-]+\?done=logged$")


def china_today() -> date:
    return clock.today()  # the services' day (CLOCK_TODAY moves both)


def visits_of(ui, enterprise_id: str) -> list[dict]:
    r = httpx.get(f"{ui.url('visits')}/api/v1/townships/{seed.TOWNSHIP}/visits", headers=seed.CLERK,
                  params={"enterprise_id": enterprise_id})
    r.raise_for_status()
    return r.json()


def test_a_clerk_on_a_phone_logs_a_visit_once_and_finds_it_in_the_ledger(ui, person):
    leader = seed.official(ui, "包抓县长甲", "county")
    deputy = seed.official(ui, "镇干部乙")
    name = f"走访登记测试机械{time.time_ns() % 10**6}有限公司"
    eid = seed.enterprise(ui, name, [leader])
    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go("/visits/new")
    page.fill("#f-enterprise-q", name[:8])  # the search finds it by a few characters of its name
    page.click(f"#enterprise-suggest button:has-text('{name}')")
    assert name in page.locator("#picked").inner_text()
    first = page.locator("#visitors .visitor").first
    assert "包抓县长甲" in first.inner_text() and "包抓" in first.locator(".tag").inner_text()  # offered first, marked
    assert not first.locator("input[type=checkbox]").is_checked()  # offered, not ticked for them
    first.locator("input[type=checkbox]").check()
    page.click("#visitors details.others summary")
    page.check(f"#visitors input[name=lead][value={deputy}]")  # leading ticks the visitor too
    assert page.locator(f"#visitors input[name=visitor_ids][value={deputy}]").is_checked()
    page.check("input[name=services][value=policy]")
    page.fill("#f-summary", "了解一季度生产经营情况")
    page.select_option("#f-demands-0-category", "labour")
    page.fill("#f-demands-0-description", "急需焊工8人")
    clerk.shot("visit-new-phone")
    sent = page.evaluate("() => new URLSearchParams(new FormData(document.getElementById('visit-form'))).toString()")
    page.click("#submit-visit")
    page.wait_for_url(VISIT_PAGE)
    detail = page.url
    assert "走访已登记" in page.locator(".notice").inner_text()
    visitors = page.locator("#visitors li")
    assert "镇干部乙" in visitors.first.inner_text() and "带队" in visitors.first.inner_text()
    assert "包抓县长甲" in visitors.nth(1).inner_text()
    assert "急需焊工8人" in page.locator("#demands").inner_text() and "送政策" in page.locator("#visit").inner_text()
    for _ in range(20):  # the demand becomes an issue through the event stream
        if page.locator("#raised").count():
            break
        time.sleep(0.5)
        page.reload()
    assert "急需焊工8人" in page.locator("#raised").inner_text()
    clerk.shot("visit-detail-phone")

    # The same form sent again (a retry after a timeout, a double tap): the same visit, never a second one.
    again = page.request.post(clerk.base + "/visits", data=sent,
                              headers={"Origin": clerk.base, "Content-Type": "application/x-www-form-urlencoded"})
    assert again.ok and again.url.split("?")[0] == detail.split("?")[0]
    assert len(visits_of(ui, eid)) == 1

    page = clerk.go("/visits")
    row = page.locator("#ledger tbody tr", has_text=name)
    assert row.count() == 1 and "镇干部乙" in row.inner_text() and "1条" in row.inner_text()
    assert page.locator("a:has-text('登记走访')").count() >= 1
    clerk.shot("visits-ledger-phone")

    viewer = person("dev-dacheng-viewer")
    page = viewer.go(f"/visits?enterprise={name[:8]}")
    assert name in page.locator("#ledger").inner_text()
    assert page.locator("main a:has-text('登记走访')").count() == 0  # a viewer reads, never writes
    viewer.shot("visits-ledger-desktop")


def test_a_second_routine_visit_is_refused_in_chinese_and_goes_through_as_a_joint_visit(ui, person):
    leader = seed.official(ui, "包抓县长丙", "county")
    deputy = seed.official(ui, "镇干部丁")
    eid = seed.enterprise(ui, "免扰期测试食品有限公司", [leader])
    today = china_today().isoformat()
    seed.visit(ui, eid, [leader], today)
    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go(f"/visits/new?enterprise_id={eid}")
    page.check(f"#visitors input[name=visitor_ids][value={leader}]")
    page.fill("#f-summary", "回访用工问题")
    page.click("#submit-visit")
    guard = page.locator("#guard")
    assert f"这家企业 {today} 已由 包抓县长丙 走访过，免扰期内不安排日常走访" in guard.inner_text()
    assert page.locator("#f-summary").input_value() == "回访用工问题"  # nothing typed is lost
    clerk.shot("visit-guard-phone")

    page.click("#as-joint")  # one visitor only: a joint visit needs two
    assert "至少需要两名" in page.locator("[data-field=visitor_ids]").inner_text()
    assert page.locator("#guard").count() == 1
    page.click("#visitors details.others summary")
    page.check(f"#visitors input[name=visitor_ids][value={deputy}]")
    page.click("#as-joint")
    page.wait_for_url(VISIT_PAGE)
    assert "联合走访" in page.locator("#visit").inner_text()
    assert sorted(v["kind"] for v in visits_of(ui, eid)) == ["joint", "routine"]


def test_a_future_date_is_named_under_the_date_field_and_the_form_is_kept(ui, person):
    leader = seed.official(ui, "包抓县长戊", "county")
    eid = seed.enterprise(ui, "日期校验测试建材有限公司", [leader])
    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go(f"/visits/new?enterprise_id={eid}")
    page.check(f"#visitors input[name=visitor_ids][value={leader}]")
    page.evaluate("() => document.getElementById('f-visited_on').removeAttribute('max')")  # a browser without limits
    page.fill("#f-visited_on", (china_today() + timedelta(days=3)).isoformat())
    page.fill("#f-summary", "走访情况保留")
    page.click("#submit-visit")
    assert "不能晚于今天" in page.locator(".field:has(#f-visited_on) .field-error").inner_text()
    assert "走访日期" in page.locator(".problem").inner_text()
    assert page.locator("#f-summary").input_value() == "走访情况保留"
    assert page.locator(f"#visitors input[name=visitor_ids][value={leader}]").is_checked()
    assert visits_of(ui, eid) == []
