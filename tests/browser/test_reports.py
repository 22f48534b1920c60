"""统计报表: a county leader reads a township's and the county's report as tiles and drawn charts and downloads the
ledger; the county admin publishes a frozen bulletin, reads it as a document and checks it against the event log."""
from __future__ import annotations

import httpx
import pytest

from console.pages.reports import pct
from tests.browser import seed
from tests.support.processes import wait_for

PERIOD = "2026-Q1"
VIEWER = {"Authorization": "Bearer dev-county-viewer"}


@pytest.fixture(scope="module")
def seeded(ui) -> dict:
    """A visit and an issue in dacheng this quarter, counted by reporting."""
    oid = seed.official(ui, "报表测试干部")
    eid = seed.enterprise(ui, "报表测试企业", [oid])
    seed.visit(ui, eid, [oid], "2026-03-10")
    seed.issue(ui, eid, raised_on="2026-03-02")

    def counted():
        r = httpx.get(f"{ui.url('reporting')}/api/v1/reports/dacheng/{PERIOD}", headers=VIEWER)
        return r.status_code == 200 and r.json()["visits"] >= 1 and r.json()["issues_raised"] >= 1

    wait_for(counted, 30, "reporting to count the seeded visit and issue")
    return {"enterprise_id": eid}


def _report(ui, scope: str) -> dict:
    path = f"county/{PERIOD}" if scope == "county" else f"dacheng/{PERIOD}"
    return httpx.get(f"{ui.url('reporting')}/api/v1/reports/{path}", headers=VIEWER).json()


def wait_drawn(page, chart: str) -> None:
    """Until the chart's canvas has painted pixels (ECharts draws after the page loads); a timeout fails the test."""
    page.wait_for_function(f"""() => {{
        const c = document.querySelector('{chart} canvas');
        if (!c || !c.width || !c.height) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
        return false; }}""", timeout=15_000)


def test_a_leader_reads_the_reports_as_tiles_and_charts_and_downloads_the_ledger(person, ui, seeded):
    leader = person("dev-county-leader")  # 王建国, a 包抓 county leader (a county viewer)
    page = leader.go(f"/reports?scope=dacheng&period={PERIOD}")
    page.wait_for_selector("#chart-categories canvas")
    page.wait_for_selector("#chart-rates canvas")
    wait_drawn(page, "#chart-categories")  # pixels on the canvas, not an empty box
    wait_drawn(page, "#chart-rates")
    assert "大程镇 · 2026年第一季度" in page.locator("h1").inner_text()
    report = _report(ui, "dacheng")
    coverage = page.locator("[data-figure=coverage_rate]").inner_text()
    assert "走访覆盖率" in coverage and pct(report["coverage_rate"]) in coverage
    assert page.locator("[data-figure=visits] .n").inner_text() == str(report["visits"])
    assert "用工" in page.locator("#by-category").inner_text()
    assert page.locator("form.publish").count() == 0  # a viewer publishes nothing
    leader.shot("reports-township-desktop")

    with page.expect_download() as download:
        page.click("#ledger-csv")
    ledger = open(download.value.path(), encoding="utf-8-sig").read()
    assert ledger.splitlines()[0].startswith("乡镇,问题编号,企业名称,统一社会信用代码,来源,问题类别")
    assert seeded["enterprise_id"] in ledger
    assert download.value.suggested_filename.endswith(".csv")

    page = leader.go(f"/reports?period={PERIOD}")  # a county person's default: the county
    page.wait_for_selector("#chart-townships canvas")
    wait_drawn(page, "#chart-townships")
    assert "示范县 · 2026年第一季度" in page.locator("h1").inner_text()
    total = _report(ui, "county")["total"]
    assert page.locator("[data-figure=issues_raised] .n").inner_text() == str(total["issues_raised"])
    ranking = page.locator("#ranking").inner_text()
    assert "大程镇" in ranking and "西阳镇" in ranking  # ranked or not, each township is there with why
    assert "暂不排名" in ranking or "还没有数据" in ranking
    leader.shot("reports-county-desktop")

    phone = person("dev-county-viewer", phone=True)
    page = phone.go(f"/reports?scope=dacheng&period={PERIOD}")
    page.wait_for_selector("#chart-categories canvas")
    phone.shot("reports-township-phone")


def test_the_county_admin_publishes_a_bulletin_that_verifies(person, ui, seeded):
    published = {b["period"] for b in httpx.get(f"{ui.url('reporting')}/api/v1/bulletins/county", headers=VIEWER).json()}
    period = next(p for p in (PERIOD, "2026-03", "2026-02", "2026-01") if p not in published)
    admin = person("dev-county-admin")
    page = admin.page
    page.on("dialog", lambda d: d.accept())
    admin.go(f"/reports/bulletins?scope=county&period={period}")
    page.click("form.publish button[type=submit]")
    page.wait_for_url(f"**/reports/bulletins/county/{period}?done=published")
    # The preview is the document itself: the 红头, its number, the title, the paragraphs, the 红黑榜, the charts.
    bulletin = httpx.get(f"{ui.url('reporting')}/api/v1/bulletins/county/{period}", headers=VIEWER).json()
    title = page.locator(".bulletin-title").inner_text()
    assert title.startswith("关于2026年") and title.endswith("遍访企业助企纾困工作情况的通报")
    assert page.locator(".document-number").inner_text() == bulletin["number"]
    assert page.locator(".document-issuer").inner_text() == "示范县遍访企业助企纾困工作领导小组办公室"
    text = page.locator("#bulletin").inner_text()
    assert "走访覆盖率" in text and "大程镇" in text and bulletin["hash"] in text
    wait_drawn(page, "#chart-1")
    admin.shot("bulletin-desktop")
    for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        with page.expect_download() as download:
            page.click(f"#document-{fmt}")
        assert download.value.suggested_filename == f"county-{period}-通报.{fmt}"
        assert open(download.value.path(), "rb").read(4).startswith(magic)

    page.click("text=通报列表")
    row = page.locator(f"#bulletins tr[data-period='{period}']")
    assert "县营商办管理员" in row.inner_text()
    row.locator("a.verify").click()
    assert row.locator(".verified").inner_text() == "一致"

    page.click("form.publish button[type=submit]")  # the same period once more
    page.wait_for_selector(".problem")
    assert "该期通报已经发布" in page.locator(".problem").inner_text()


def test_the_county_admin_sets_the_weights_and_publishes_the_year_end_evaluation(person, ui, seeded):
    admin = person("dev-county-admin")
    page = admin.page
    page.on("dialog", lambda d: d.accept())
    admin.go("/reports/evaluations?scope=county")
    page.fill("#f-w_resolution", "两成")  # not a number: refused under its field, what was typed kept
    page.click("#weights button[type=submit]")
    page.wait_for_selector(".field-error[data-field=w_resolution]")
    assert "解决率" in page.locator(".problem").inner_text()
    assert page.input_value("#f-w_resolution") == "两成"
    page.fill("#f-w_resolution", "0.2")
    page.click("#weights button[type=submit]")
    page.wait_for_url("**/reports/evaluations?done=weights")
    assert "考评权重已保存" in page.locator("body").inner_text()

    published = {e["year"] for e in httpx.get(f"{ui.url('reporting')}/api/v1/evaluations/county", headers=VIEWER).json()}
    year = next(y for y in ("2026", "2025", "2024") if y not in published)
    page.select_option("#f-year", year)
    page.click("#publish-evaluation button[type=submit]")
    page.wait_for_url(f"**/reports/evaluations/county/{year}?done=published")
    assert page.locator(".bulletin-title").inner_text() == f"示范县{year}年度遍访企业助企纾困工作考评结果"
    if year == "2026":  # the seeded township's visits are in 2026
        assert "大程镇" in page.locator("#evaluation-townships").inner_text()
    admin.shot("evaluation-desktop")
    page.click("#verify-evaluation")
    page.wait_for_selector(".verified")
    assert page.locator(".verified").inner_text() == "一致"
    with page.expect_download() as download:
        page.click("#evaluation-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as download:
        page.click("#evaluation-docx")
    assert open(download.value.path(), "rb").read(2) == b"PK"
