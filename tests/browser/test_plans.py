"""企业走访日 and 走访计划 in the console: a clerk answers three invitations (a decline without a reason is refused in
Chinese), makes the campaign's plans and reads its progress; the plans show on 走访计划, one official's (我的走访计划)."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import httpx

from buildingblocks.clock import clock
from tests.browser import seed


def test_a_clerk_answers_the_invitations_makes_the_plans_and_reads_the_progress(ui, person):
    li = seed.official(ui, "包抓县长甲", "county")
    wang = seed.official(ui, "包抓县长乙", "county")
    zhang = seed.official(ui, "包抓县长丙", "county")
    host = seed.official(ui, "镇长丁")
    n = time.time_ns() % 10**6
    e1 = seed.enterprise(ui, f"走访日测试机械{n}厂", [li])
    e2 = seed.enterprise(ui, f"走访日测试纺织{n}厂", [wang, zhang])
    day = (clock.today() + timedelta(days=7)).isoformat()
    cid = f"c-{uuid.uuid4().hex[:8]}"
    r = httpx.post(f"{ui.url('visits')}/api/v1/townships/{seed.TOWNSHIP}/campaigns", headers=seed.CLERK,
                   json={"campaign_id": cid, "name": f"企业走访日{n}", "days": [day], "enterprise_ids": [e1, e2],
                         "invited_ids": [li, wang, zhang], "host_id": host})
    r.raise_for_status()

    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go(f"/campaigns/{cid}")
    assert page.locator("#invitations tbody tr").count() == 3
    page.locator(f"#invitation-{li} button[value=accept]").click()
    page.wait_for_url(f"**/campaigns/{cid}?done=answered")
    page.locator(f"#invitation-{wang} button[value=accept]").click()
    page.wait_for_url(f"**/campaigns/{cid}?done=answered")
    page.locator(f"#invitation-{zhang} button[value=decline]").click()  # no reason yet
    assert "谢绝邀请请写明原因" in page.locator("#problem").inner_text()
    page.fill(f"#f-reason-{zhang}", "当日赴市开会")
    page.locator(f"#invitation-{zhang} button[value=decline]").click()
    page.wait_for_url(f"**/campaigns/{cid}?done=answered")
    answers = [page.locator(f"#invitation-{o} .answer").inner_text() for o in (li, wang, zhang)]
    assert answers == ["已接受", "已接受", "已谢绝"]

    page.click("#make-plans")
    assert "已生成走访计划 2 条" in page.locator(".notice").inner_text()
    assert "计划 2 / 2 家，已走访 0 家" in page.locator("#totals").inner_text()
    rows = page.locator("#progress-enterprises tbody tr")
    assert "包抓县长甲" in rows.nth(0).inner_text() and "待走访" in rows.nth(0).inner_text()
    assert "包抓县长乙" in rows.nth(1).inner_text()
    assert page.locator(f"#leader-{zhang}").inner_text().split()[-2:] == ["0", "0"]
    assert page.locator(f"#leader-{host}").inner_text().split()[-2:] == ["2", "0"]
    clerk.shot("campaign-phone")

    page = clerk.go(f"/plans?official={li}")  # 我的走访计划 of one leader
    mine = page.locator("#plans tbody tr")
    assert mine.count() == 1 and f"走访日测试机械{n}厂" in mine.first.inner_text() and day in mine.first.inner_text()
    assert "大程镇企业办" in mine.first.inner_text()  # who made the plan (the clerk's token)
    clerk.shot("plans-phone")
