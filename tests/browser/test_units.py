"""The responsible units work an issue, each on their own screen: the county admin registers a township unit and the
category's default unit (分派规则); the issue is routed to it; its handler 签收 and 退回 with a reason; the clerk re-routes
it to the suggested county unit and sets a co-unit; that unit's handler 签收 and asks for an extension, which the
supervisor approves; a close waits for the co-unit's part; the handler closes; the clerk's 回访 is dissatisfied and
the issue is reopened — each step in the timeline. A handler of another unit cannot open it (无权查看, as for a
missing one), and sees nothing but 我的工单. The supervisor reads the notices, and the per-unit table counts it."""
from __future__ import annotations

import re
import time

from tests.browser import seed
from tests.support.processes import free_port

DACHENG = "dacheng"


def choose(page, selector: str, value: str) -> None:
    """A select where the unit list is known to the page, a text field where it is not (a handler's)."""
    if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
        page.select_option(selector, value)
    else:
        page.fill(selector, value)


def steps(page) -> list[str]:
    return [t.strip() for t in page.locator("#timeline .step-title").all_inner_texts()]


def test_units_work_an_issue_from_routing_to_follow_up(ui, person):
    seed.county_unit(ui, "c-rsj", "县人社局", head="赵局长")
    seed.county_unit(ui, "c-zrzyj", "县自然资源局")
    seed.unit_webhook(ui, "c-rsj", f"http://127.0.0.1:{free_port()}/robot")  # nobody listens: recorded as failing
    seed.no_quiet_hours(ui)

    # 责任单位 and 分派规则 (the county admin, for 大程镇)
    admin = person("dev-county-admin")
    page = admin.go(f"/settings/units?where={DACHENG}")
    page.fill("#f-unit_id", "Da Cheng RSS")
    page.fill("#f-name", "大程镇人社所")
    page.select_option("#f-kind", "township_office")
    page.fill("#f-head", "王所长")
    page.click("#unit-form button[type=submit]")
    assert "只能用小写字母" in page.locator('#unit-form .field-error[data-field="unit_id"]').inner_text()
    assert "单位编号" in page.locator(".problem").inner_text()
    assert page.locator("#f-name").input_value() == "大程镇人社所" and page.locator("#f-head").input_value() == "王所长"
    page.fill("#f-unit_id", "dacheng-rss")
    page.fill("#f-contact", "029-32101234")
    page.click("#unit-form button[type=submit]")
    assert "责任单位已保存" in page.locator(".notice").inner_text()
    assert "大程镇人社所" in page.locator('tr[data-unit="dacheng-rss"]').inner_text()
    page.select_option('[id="f-route.policy"]', "dacheng-rss")
    page.click("#routing button[type=submit]")
    assert "分派规则已保存" in page.locator(".notice").inner_text()
    assert page.locator('[id="f-route.policy"]').input_value() == "dacheng-rss"
    admin.shot("units-desktop")

    eid = seed.enterprise(ui, "单位测试纺织有限公司")
    issue = seed.issue(ui, eid, description="缺挡车工15人，申请稳岗补贴", category="policy", raised_on="2026-03-02")
    iid = issue["issue_id"]
    assert issue["unit_id"] == "dacheng-rss"  # routed by the category's default unit

    # the township unit's handler: 我的工单 only; 签收, then 退回 with a reason and the right unit
    rss = person("dev-dacheng-unit-rss", phone=True)
    page = rss.page
    assert page.url.endswith("/mine")
    page.click("header .menu summary")
    assert [a.strip() for a in page.locator("header nav a").all_inner_texts()] == ["我的工单"]
    row = page.locator(f'tr[data-issue="{iid}"]')
    assert "待签收" in row.inner_text() and "牵头" in row.inner_text()
    page.click("header .menu summary")  # closed again for the picture
    rss.shot("mine-phone")
    row.locator("a").first.click()
    page.wait_for_url(f"**/mine/{DACHENG}/{iid}")
    page.click("#act-acknowledge summary")
    page.fill("#acknowledge-acknowledged_on", "2026-03-03")
    page.click("#act-acknowledge button[type=submit]")
    assert "已签收" in page.locator(".notice").inner_text()
    page.on("dialog", lambda d: d.accept())
    page.click("#act-return summary")
    choose(page, "#return-suggested_unit_id", "c-rsj")
    page.click("#act-return button[type=submit]")  # no reason: refused under the field, the unit kept
    assert page.locator("#return-reason").evaluate("e => e.validity.valueMissing")
    page.fill("#return-reason", "稳岗补贴属县人社局职责")
    page.click("#act-return button[type=submit]")
    page.wait_for_url(re.compile(r".*/mine\?done=return"))
    assert "已退回" in page.locator(".notice").inner_text()
    assert rss.go("/issues").locator(".problem").inner_text().startswith("您的账号是责任单位的承办账号")

    # the clerk: 待重新派发, re-routed to the suggested unit, with a co-unit
    clerk = person("dev-dacheng-clerk")
    page = clerk.go("/issues?routing=returned")
    row = page.locator(f'tr[data-issue="{iid}"]')
    assert "已退回" in row.inner_text()
    clerk.shot("issues-returned-desktop")
    row.locator("a").first.click()
    page.wait_for_url(f"**/issues/{iid}")
    assert page.locator("#assign-unit_id").input_value() == "c-rsj"  # the returning unit's suggestion
    page.fill("#assign-reason", "按退回意见改派县人社局")
    page.fill("#assign-assigned_on", "2026-03-04")
    page.click("#act-assign button[type=submit]")
    assert "已交办" in page.locator(".notice").inner_text()
    assert page.locator("#issue-unit").inner_text().startswith("县人社局")
    page.click("#act-co-handling summary")
    page.check('#act-co-handling input[value="c-zrzyj"]')
    page.click("#act-co-handling button[type=submit]")
    assert "协办单位已保存" in page.locator(".notice").inner_text()
    assert "县自然资源局" in page.locator("#co-units").inner_text()
    assert {"签收", "退回", "派发", "协办"} <= set(steps(page))
    assert "退回原因：稳岗补贴属县人社局职责" in page.locator("#timeline").inner_text()

    # the first unit's handler no longer opens it: the same answer as for an issue that does not exist
    gone = rss.page.goto(f"{rss.base}/mine/{DACHENG}/{iid}")
    said = rss.page.locator(".problem").inner_text()
    missing = rss.page.goto(f"{rss.base}/mine/{DACHENG}/i-does-not-exist")
    assert gone.status == missing.status == 404
    assert said == rss.page.locator(".problem").inner_text() and "无权查看" in said

    # the county unit's handler: 签收 and 延期申请
    rsj = person("dev-county-unit-rsj")
    rsj.page.on("dialog", lambda d: d.accept())  # 确认办结？
    page = rsj.go("/mine")
    row = page.locator(f'tr[data-issue="{iid}"]')
    assert "大程镇" in row.inner_text() and "待签收" in row.inner_text()
    row.locator("a").first.click()
    page.click("#act-acknowledge summary")
    page.fill("#acknowledge-acknowledged_on", "2026-03-05")
    page.click("#act-acknowledge button[type=submit]")
    assert "已签收" in page.locator(".notice").inner_text()
    page.click("#act-extension-requests summary")
    page.fill("#extension_requests-deadline", "2026-06-30")
    page.fill("#extension_requests-reason", "补贴资金待省厅下达")
    page.click("#act-extension-requests button[type=submit]")
    assert "延期申请已提交" in page.locator(".notice").inner_text()
    assert "待审批" in page.locator("#extension-requests").inner_text()
    rsj.shot("mine-issue-desktop")

    # the supervisor approves it with a reason
    supervisor = person("dev-county-supervisor")
    page = supervisor.go("/supervision/extensions")
    card = page.locator(f'li[data-issue="{iid}"]')
    assert "2026-06-30" in card.inner_text() and "补贴资金待省厅下达" in card.inner_text()
    card.locator("textarea").fill("同意延期至6月底")
    supervisor.shot("extensions-desktop")
    card.locator('button[value="yes"]').click()
    assert "已同意延期" in page.locator(".notice").inner_text()
    assert page.locator(f'li[data-issue="{iid}"]').count() == 0

    # the close waits for the co-unit's part; the co-unit reports it; the handler closes
    page = rsj.go(f"/mine/{DACHENG}/{iid}")
    assert page.locator("#issue-deadline").inner_text().startswith("2026-06-30")
    page.click("#act-close summary")
    page.fill("#close-closed_on", "2026-03-20")
    page.select_option("#close-outcome", "resolved")
    page.fill("#close-resolution", "组织专场招聘会，补贴已申报")
    page.click("#act-close button[type=submit]")
    assert "县自然资源局" in page.locator(".problem").inner_text()
    assert page.locator("#close-resolution").input_value() == "组织专场招聘会，补贴已申报"  # nothing typed is lost

    zr = person("dev-county-unit-zrzyj", phone=True)
    page = zr.go(f"/mine/{DACHENG}/{iid}")
    assert [s.strip() for s in page.locator("details.act summary").all_inner_texts()] == ["阶段答复"]
    page.click("#act-progress summary")
    page.fill("#progress-note", "厂房用地手续已办结")
    page.check("#act-progress input[name=part_done]")
    page.click("#act-progress button[type=submit]")
    assert "阶段答复已提交" in page.locator(".notice").inner_text()

    page = rsj.go(f"/mine/{DACHENG}/{iid}")
    page.click("#act-close summary")
    page.fill("#close-closed_on", "2026-03-20")
    page.select_option("#close-outcome", "resolved")
    page.fill("#close-resolution", "组织专场招聘会，补贴已申报")
    page.click("#act-close button[type=submit]")
    assert "已办结" in page.locator(".notice").inner_text()
    assert page.locator("details.act").count() == 0  # 回访 is not the handler's

    # the clerk's 回访: dissatisfied reopens it, to the same unit
    page = clerk.go(f"/issues/{iid}")
    page.click("#act-follow-up summary")
    page.fill("#follow_up-followed_up_on", "2026-03-25")
    page.select_option("#follow_up-satisfaction", "dissatisfied")
    page.fill("#follow_up-note", "企业反映补贴仍未到账")
    page.click("#act-follow-up button[type=submit]")
    assert "企业不满意，问题已重新办理" in page.locator(".notice").inner_text()
    assert page.locator(".status").first.inner_text() == "办理中"
    assert page.locator("#issue-unit").inner_text().startswith("县人社局")
    said = set(steps(page))
    for title in ("派发", "签收", "退回", "协办", "协办部分完成", "延期申请", "延期审批", "办结", "回访", "重新办理"):
        assert title in said, title
    timeline = page.locator("#timeline").inner_text()
    assert "企业满意度：不满意" in timeline and "审批意见：同意延期至6月底" in timeline
    clerk.shot("issue-lifecycle-desktop")
    zr.page.set_viewport_size({"width": 360, "height": 640})
    zr.go(f"/mine/{DACHENG}/{iid}")
    zr.shot("issue-lifecycle-phone")

    # 通知记录: the re-routed issue's notice to 县人社局's robot, failing where nobody listens
    page = supervisor.go(f"/notices?issue_id={iid}")
    def tried() -> list[str]:  # the robot's notices after a first attempt: nobody listens there, so each has an error
        rows = page.locator("#notices tbody tr").filter(has_text="县人社局")
        return [e for e in rows.locator('td[data-label="最近错误"]').all_inner_texts() if e.strip()]

    deadline = time.monotonic() + 40
    while not tried() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert tried()
    assert any("群机器人" in t for t in page.locator("#notices tbody tr").filter(has_text="县人社局").all_inner_texts())
    supervisor.shot("notices-desktop")
    sheets = page.locator("#notices a.download")  # the issue is long overdue: a 督办单 was made
    if sheets.count():
        reply = page.request.get(supervisor.base + sheets.first.get_attribute("href"))
        assert reply.status == 200 and reply.body()[:2] == b"PK"  # a .docx, through the console

    # 统计报表: the per-unit table
    page = supervisor.go(f"/reports/units?scope={DACHENG}&period=2026-03")
    deadline = time.monotonic() + 20
    while page.locator('tr[data-unit="c-rsj"]').count() == 0 and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert "县人社局" in page.locator('tr[data-unit="c-rsj"]').inner_text()
    assert "大程镇人社所" in page.locator('tr[data-unit="dacheng-rss"]').inner_text()
    supervisor.shot("report-units-desktop")
