"""企业名录: a clerk registers an enterprise on a phone (the check character explained), finds it, assigns and ends a
包抓 leader; an import with a bad row shows the row-by-row report; a viewer reads everything and can change nothing."""
from __future__ import annotations

import re
import uuid

import pytest

from contracts import uscc
from tests.browser import seed


@pytest.fixture(scope="module")
def known(ui):
    """An enterprise with a 包抓 leader, a visit and an issue, put in through the services."""
    leader = seed.official(ui, "名录测试领导", rank="county")
    name = f"名录详情测试公司{uuid.uuid4().hex[:4]}"
    eid = seed.enterprise(ui, name, [leader])
    seed.visit(ui, eid, [leader], on="2026-03-02",
               demands=[{"category": "policy", "description": "咨询研发费用加计扣除", "resolved_on_spot": True}])
    seed.issue(ui, eid, description="春节后用工缺口约20人")
    return {"id": eid, "name": name, "leader": "名录测试领导"}


def test_a_clerk_on_a_phone_registers_finds_and_assigns_an_enterprise(ui, person):
    official = seed.official(ui, "包抓测试干部")
    code = seed.uscc()
    wrong = code[:17] + next(c for c in uscc.CHARSET if c != code[17])
    name = f"手机登记测试公司{code[-4:]}"
    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go("/enterprises/new")
    assert "第 18 位是校验位" in page.locator("#uscc-hint").inner_text()
    page.fill("#f-enterprise_id", wrong)
    assert f"第18位应为“{code[17]}”" in page.locator("#uscc-check .ent-bad").inner_text()  # checked while typing
    page.fill("#f-name", name)
    page.select_option("#f-category", "industry")
    clerk.shot("enterprise-new-phone")
    page.click("button.primary")
    under = page.locator(".field:has(#f-enterprise_id) .field-error")
    assert "校验位不正确" in under.inner_text() and code[17] in under.inner_text()
    assert page.input_value("#f-name") == name and page.input_value("#f-category") == "industry"

    page.fill("#f-enterprise_id", code)
    page.locator("#uscc-check .ent-ok").wait_for()
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/enterprises/" + code + r"\?done=registered"))
    assert "企业已登记" in page.locator(".notice").inner_text()

    page = clerk.go("/enterprises?q=" + code[-8:].lower())
    assert page.locator("#enterprise-count").inner_text().startswith("找到 1 家")
    row = page.locator("#enterprises tbody tr")
    assert name in row.inner_text() and "从未走访" in row.inner_text()
    clerk.shot("enterprises-list-phone")

    page.click(f"text={name}")
    page.select_option("#f-official_id", official)
    page.click("#assign button[type=submit]")
    page.wait_for_url(re.compile(r".*done=assigned"))
    held = page.locator("#assignments tr", has_text="包抓测试干部")
    assert "至今" in held.inner_text() and "包抓测试干部" in page.locator("#facts").inner_text()

    page.once("dialog", lambda d: d.accept())  # 确定结束…吗？
    held.locator("button", has_text="结束包抓").click()
    page.wait_for_url(re.compile(r".*done=ended"))
    held = page.locator("#assignments tr", has_text="包抓测试干部")
    assert "至今" not in held.inner_text() and held.locator("form").count() == 0


def test_an_import_with_a_bad_row_shows_each_row_and_imports_the_good_ones(ui, person, known):
    good, bad = seed.uscc(), seed.uscc()
    bad = bad[:17] + next(c for c in uscc.CHARSET if c != bad[17])
    name = f"导入测试公司{good[-4:]}"
    csv = ("统一社会信用代码,企业名称,企业类别,入库日期,所在园区,包抓领导\n"
           f"{good},{name},规上工业,2026/3/5,先进制造工业园,\n"
           f"{bad},坏行公司,农业,,,\n").encode("utf-8")
    clerk = person("dev-dacheng-clerk")
    page = clerk.go("/enterprises/import")
    page.set_input_files("#f-file", files=[{"name": "名录.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("form.ent-form button.primary")
    assert "整批没有导入" in page.locator("#not-imported").inner_text()
    rows = page.locator("#row-errors tbody tr")
    assert rows.count() == 2
    assert "第 3 行" in rows.nth(0).inner_text() and "校验位（第18位）" in rows.nth(0).inner_text()
    assert "企业类别" in rows.nth(1).inner_text() and "没有“农业”这个企业类别" in rows.nth(1).inner_text()
    clerk.shot("enterprises-import-desktop")

    page.set_input_files("#f-file", files=[{"name": "名录.csv", "mimeType": "text/csv", "buffer": csv}])
    page.check("input[name=good_rows_only]")
    page.click("form.ent-form button.primary")
    assert page.locator("#imported-count").inner_text() == "1" and page.locator("#skipped-count").inner_text() == "1"

    page = clerk.go("/enterprises")
    assert name in page.locator("#enterprises").inner_text()
    clerk.shot("enterprises-list-desktop")
    page = clerk.go(f"/enterprises/{known['id']}")
    assert "咨询研发费用加计扣除" in page.locator("#visits").inner_text()
    assert "春节后用工缺口约20人" in page.locator("#issues").inner_text()
    clerk.shot("enterprise-detail-desktop")


def test_a_viewer_reads_the_list_and_the_detail_with_no_write_buttons(person, known):
    viewer = person("dev-dacheng-viewer")
    page = viewer.go("/enterprises?q=" + known["name"])
    row = page.locator("#enterprises tbody tr")
    assert known["leader"] in row.inner_text() and "2026-03-02" in row.inner_text()
    assert page.locator("text=登记企业").count() == 0 and page.locator("a:text-is('导入')").count() == 0
    row.locator("a").click()
    page.wait_for_url(re.compile(r".*/enterprises/" + known["id"]))
    assert known["leader"] in page.locator("#assignments").inner_text()
    assert "办理中" in page.locator("#issues").inner_text()
    assert page.locator("form[method=post]:not([action='/signout']):not([action='/township'])").count() == 0
    assert page.locator("text=登记走访").count() == 0
    assert viewer.go("/enterprises/new").locator(".problem").count() == 1  # refused, in Chinese
