"""Sign-in, the header, sign-out, and what a forged or foreign write gets."""
from __future__ import annotations

import httpx


def test_a_clerk_signs_in_sees_who_and_where_and_signs_out(person):
    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.page
    who = page.locator("#who")
    assert "大程镇企业办" in who.inner_text()
    assert "大程镇" in who.inner_text() and "乡镇经办" in who.inner_text()
    assert "dev-dacheng-clerk" not in page.content()  # the token never reaches the page
    cookie = next(c for c in page.context.cookies() if c["name"] == "console_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["value"] != "dev-dacheng-clerk"
    clerk.shot("signin-phone-workbench")
    page.click("summary")
    page.click("text=退出登录")
    page.wait_for_url("**/signin")
    page.goto(clerk.base + "/")
    assert page.url.endswith("/signin?next=/")


def test_a_wrong_token_is_refused_in_chinese(ui, chromium):
    page = chromium.new_page()
    page.goto(ui.url("console") + "/signin")
    page.fill("#token", "not-a-token")
    page.click("button[type=submit]")
    assert "令牌无效" in page.locator(".problem").inner_text()
    page.close()


def test_pages_carry_a_strict_csp(ui):
    r = httpx.get(ui.url("console") + "/signin")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in r.text  # no inline script


def test_a_forged_write_without_the_csrf_token_is_refused(person):
    clerk = person("dev-dacheng-clerk")
    cookies = {c["name"]: c["value"] for c in clerk.page.context.cookies()}
    origin = clerk.base
    forged = httpx.post(origin + "/township", data={"township": "xiyang"}, cookies=cookies, headers={"Origin": origin})
    assert forged.status_code == 403 and "安全校验码" in forged.text
    csrf = clerk.page.locator('meta[name="csrf-token"]').get_attribute("content")
    foreign = httpx.post(origin + "/township", data={"township": "xiyang", "csrf": csrf}, cookies=cookies,
                         headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "来源不可信" in foreign.text
