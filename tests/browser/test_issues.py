"""问题台账 and one issue's page: a clerk routes an issue to a unit and closes it; the timeline reads in Chinese,
a close without 办理情况 is refused under that field, and the township's report counts the closed issue."""
from __future__ import annotations

import time

import httpx

from tests.browser import seed

VIEWER = {"Authorization": "Bearer dev-dacheng-viewer"}


def closed_in(ui, period: str) -> int:
    r = httpx.get(f"{ui.url('reporting')}/api/v1/reports/dacheng/{period}", headers=VIEWER)
    return r.json().get("issues_closed", 0) if r.status_code == 200 else 0


def test_a_clerk_routes_and_closes_an_issue_and_the_report_counts_it(ui, person):
    eid = seed.enterprise(ui, "台账测试机械有限公司")
    issue = seed.issue(ui, eid, description="急需数控操作工10人", raised_on="2026-03-02")
    before = closed_in(ui, "2026-03")

    clerk = person("dev-dacheng-clerk")
    page = clerk.go("/issues")
    row = page.locator(f'tr[data-issue="{issue["issue_id"]}"]')
    assert "台账测试机械有限公司" in row.inner_text() and "未交办" in row.inner_text() and "办理中" in row.inner_text()
    clerk.shot("issues-list-desktop")

    row.locator("a").first.click()
    page.wait_for_url(f"**/issues/{issue['issue_id']}")
    assert "重新办理" not in page.locator("details.act summary").all_inner_texts()  # an open issue is not reopened
    page.click("#act-assign summary")
    page.fill("#assign-responsible_unit", "县人社局")
    page.fill("#assign-reason", "按职责转办")
    page.click("#act-assign button[type=submit]")
    assert "已交办" in page.locator(".notice").inner_text()
    assert page.locator("#issue-unit").inner_text() == "县人社局"

    page.on("dialog", lambda d: d.accept())  # 确认办结？
    page.click("#act-close summary")
    page.fill("#close-closed_on", "2026-03-10")
    page.select_option("#close-outcome", "resolved")
    page.fill("#close-resolution", "   ")  # only blanks: the service refuses it
    page.click("#act-close button[type=submit]")
    error = page.locator('#act-close .field:has(label:text("办理情况")) .field-error')
    assert "不能为空" in error.inner_text()
    assert "办理情况" in page.locator(".problem").inner_text()
    assert page.locator("#close-outcome").input_value() == "resolved"  # nothing typed is lost
    assert page.locator("#close-closed_on").input_value() == "2026-03-10"

    page.fill("#close-resolution", "联系县人社局组织专场招聘，缺口已补齐")
    page.select_option("#close-satisfaction", "satisfied")
    page.click("#act-close button[type=submit]")
    assert "已办结" in page.locator(".notice").inner_text()
    steps = page.locator("#timeline").inner_text()
    for said in ("提出", "交办", "交办给：县人社局", "原因：按职责转办", "办结", "办结日期：2026-03-10",
                 "办理结果：已解决", "企业满意度：满意"):
        assert said in steps
    assert [s.strip() for s in page.locator("details.act summary").all_inner_texts()] == ["回访", "重新办理"]
    clerk.shot("issue-detail-desktop")

    # the reporting projection is eventually consistent: give it a few seconds
    deadline = time.monotonic() + 20
    while closed_in(ui, "2026-03") < before + 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert closed_in(ui, "2026-03") == before + 1

    viewer = person("dev-dacheng-viewer", phone=True)
    page = viewer.go("/issues?status=all")
    assert "台账测试机械有限公司" in page.locator("#issues").inner_text()
    viewer.shot("issues-list-phone")
    page = viewer.go(f"/issues/{issue['issue_id']}")
    assert "办结" in page.locator("#timeline").inner_text()
    assert page.locator("details.act").count() == 0 and page.locator("form[method=post] [name=idem]").count() == 0
    viewer.shot("issue-detail-phone")
