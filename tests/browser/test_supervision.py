"""督办看板: the county supervisor sees red/yellow/blue counts, the townships and units, and a chart drawn."""
from __future__ import annotations

import httpx

from tests.browser import seed


def test_the_county_supervisor_sees_the_board_and_its_chart(ui, person):
    eid = seed.enterprise(ui, "督办测试食品有限公司")
    issue = seed.issue(ui, eid, description="二期用地指标迟迟未落实", category="land", raised_on="2026-03-02")
    sweep = httpx.post(f"{ui.url('issues')}/api/v1/townships/dacheng/supervision/sweep",
                       headers={"Authorization": "Bearer dev-county-admin"})
    sweep.raise_for_status()  # long overdue: red now, not at the next timed sweep

    for phone in (False, True):
        supervisor = person("dev-county-viewer", phone=phone)
        page = supervisor.go("/supervision")
        assert "督办看板 · 全县" in page.locator("h1").inner_text()
        assert int(page.locator("#count-red").inner_text()) >= 1
        for level in ("yellow", "blue"):
            assert page.locator(f"#count-{level}").inner_text().isdigit()
        red = page.locator("#column-red")
        assert "督办测试食品有限公司" in red.inner_text() and "大程镇" in red.inner_text()
        assert red.locator(f'a[href^="/issues/{issue["issue_id"]}"]').count() == 1
        assert "大程镇" in page.locator("#by-township").inner_text() and "西阳镇" in page.locator("#by-township").inner_text()
        assert "未交办" in page.locator("#by-unit").inner_text()
        page.locator(".chart canvas").first.wait_for()
        supervisor.shot("supervision-phone" if phone else "supervision-desktop")
