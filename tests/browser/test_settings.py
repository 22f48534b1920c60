"""设置: the county admin changes a township's 免扰期 and an SLA and sees them kept; a value out of range is named
under its field in Chinese; a person who is not an admin is refused in Chinese."""
from __future__ import annotations

import httpx

TOWNSHIP = "xiyang"  # not dacheng, whose rules other browser tests rely on
ADMIN = {"Authorization": "Bearer dev-county-admin"}


def test_the_county_admin_changes_the_quiet_period_and_an_sla(person, ui):
    visits = f"{ui.url('visits')}/api/v1/townships/{TOWNSHIP}/settings"
    issues = f"{ui.url('issues')}/api/v1/townships/{TOWNSHIP}/settings"
    before_quiet, before_rules = httpx.get(visits, headers=ADMIN).json(), httpx.get(issues, headers=ADMIN).json()
    admin = person("dev-county-admin")
    page = admin.go(f"/settings?township={TOWNSHIP}")
    assert "设置 · 西阳镇" in page.locator("h1").inner_text()
    try:
        page.fill("#f-quiet_period_days", "21")
        page.click("#quiet button[type=submit]")
        page.wait_for_selector(".notice")
        assert "免扰期已保存" in page.locator(".notice").inner_text()
        assert page.input_value("#f-quiet_period_days") == "21"

        page.fill("#f-sla_working_days\\.land", "25")
        page.click("#rules button[type=submit]")
        page.wait_for_url("**/settings?township=xiyang&done=rules")
        assert page.input_value("#f-sla_working_days\\.land") == "25"
        assert httpx.get(issues, headers=ADMIN).json()["sla_working_days"]["land"] == 25
        admin.shot("settings-desktop")

        page.fill("#f-quiet_period_days", "999")
        page.click("#quiet button[type=submit]")
        error = page.locator(".field-error[data-field=quiet_period_days]")
        assert error.inner_text() == "应为0到365之间的整数（天）"
        assert page.input_value("#f-quiet_period_days") == "999"  # what was typed stays
        assert "免扰期" in page.locator(".problem").inner_text()
        assert httpx.get(visits, headers=ADMIN).json()["quiet_period_days"] == 21

        phone = person("dev-county-admin", phone=True)
        page = phone.go(f"/settings?township={TOWNSHIP}")
        page.fill("#f-sla_working_days\\.labour", "0")
        page.click("#rules button[type=submit]")
        assert "应为1到250之间的整数（工作日）" in page.locator(".field-error[data-field='sla_working_days.labour']").inner_text()
        phone.shot("settings-phone")
    finally:
        httpx.put(visits, headers=ADMIN, json=before_quiet)
        httpx.put(issues, headers=ADMIN, json=before_rules)


def test_a_clerk_is_refused_settings_in_chinese(person):
    clerk = person("dev-dacheng-clerk")
    page = clerk.go("/settings")
    assert "设置仅限管理员" in page.locator(".problem").inner_text()
    assert page.locator("nav a[href='/settings']").count() == 0
