"""走访照片与佐证材料: a clerk on a phone takes a photo under a visit (the camera input), sees its thumbnail, and the
stored photo has lost its GPS; an executable is refused naming the file; a closed issue gets its 办结佐证 (a PDF);
a viewer sees the files without the form."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import httpx
from playwright.sync_api import expect
from PIL import Image

from buildingblocks.clock import clock
from tests.browser import seed

GPS = {1: "N", 2: (34.0, 36.0, 12.5), 3: "E", 4: (108.0, 56.0, 3.25)}


def photo() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x8825] = GPS
    out = io.BytesIO()
    Image.effect_noise((1600, 1200), 60).convert("RGB").save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def test_a_clerk_photographs_a_visit_and_a_closed_issue_gets_its_proof(ui, person):
    leader = seed.official(ui, "佐证测试县长", "county")
    eid = seed.enterprise(ui, "佐证测试机械有限公司", [leader])
    v = seed.visit(ui, eid, [leader], (clock.today() - timedelta(days=2)).isoformat())

    clerk = person("dev-dacheng-clerk", phone=True)
    page = clerk.go(f"/visits/{v['visit_id']}")
    assert "还没有上传材料" in page.locator("#evidence").inner_text()
    camera = page.locator("#evidence-photo")
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("capture") is not None
    original = photo()
    camera.set_input_files(files=[{"name": "车间走访.jpg", "mimeType": "image/jpeg", "buffer": original}])
    page.click("#evidence button[type=submit]")
    page.wait_for_url(re.compile(r"ev=ok"))
    assert "已上传1份材料" in page.locator("#evidence-done").inner_text()
    item = page.locator("#evidence-list .evidence-item")
    assert item.count() == 1 and "车间走访.jpg" in item.inner_text() and "位置信息已去除" in item.inner_text()
    thumb = item.locator("img")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) == 320
    clerk.shot("evidence-visit-phone")

    # The file behind the link is the stored one: its hash is the listed one, and it has no GPS any more.
    listed = httpx.get(f"{ui.url('visits')}/api/v1/townships/dacheng/visits/{v['visit_id']}/evidence",
                       headers=seed.CLERK).json()
    got = page.request.get(clerk.base + item.locator("a.evidence-name").get_attribute("href"))
    assert got.ok and got.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(got.body()).hexdigest() == listed[0]["sha256"] != hashlib.sha256(original).hexdigest()
    assert dict(Image.open(io.BytesIO(got.body())).getexif().get_ifd(0x8825)) == {}

    # An executable, whatever it claims to be, is refused with its name.
    page.locator("#evidence-file").set_input_files(files=[{"name": "安装包.exe", "mimeType": "image/jpeg",
                                                           "buffer": b"MZ\x90\x00" + bytes(4000)}])
    page.click("#evidence button[type=submit]")
    page.wait_for_url(re.compile(r"ev=executable"))
    problem = page.locator("#evidence-problem").inner_text()
    assert "安装包.exe" in problem and "可执行程序" in problem
    assert page.locator("#evidence-list .evidence-item").count() == 1
    clerk.shot("evidence-refused-phone")

    # A closed issue: its proof of closure, a PDF chosen from the files.
    issue = seed.issue(ui, eid, "招工难，缺焊工")
    closed = httpx.post(f"{ui.url('issues')}/api/v1/townships/dacheng/issues/{issue['issue_id']}/close",
                        headers=seed.CLERK, json={"closed_on": clock.today().isoformat(), "outcome": "resolved",
                                                  "resolution": "招聘会对接到岗12人"})
    assert closed.status_code == 200, closed.text
    desk = person("dev-dacheng-clerk")
    page = desk.go(f"/issues/{issue['issue_id']}")
    assert "办结佐证材料" in page.locator("#evidence h2").inner_text()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    page.locator("#evidence-file").set_input_files(files=[{"name": "招聘会签到表.pdf", "mimeType": "application/pdf",
                                                           "buffer": pdf}])
    page.click("#evidence button[type=submit]")
    page.wait_for_url(re.compile(r"ev=ok"))
    item = page.locator("#evidence-list .evidence-item")
    assert item.count() == 1 and "招聘会签到表.pdf" in item.inner_text() and "PDF" in item.inner_text()
    got = page.request.get(desk.base + item.locator("a.evidence-name").get_attribute("href"))
    assert got.body() == pdf and got.headers["content-disposition"].startswith("attachment")
    desk.shot("evidence-issue-desktop")

    viewer = person("dev-dacheng-viewer")
    page = viewer.go(f"/visits/{v['visit_id']}")
    assert page.locator("#evidence-list .evidence-item").count() == 1 and page.locator("#evidence form").count() == 0


def test_a_clerk_checks_in_at_the_enterprise_from_the_phone(ui, person):
    leader = seed.official(ui, "签到测试县长", "county")
    name = "签到测试食品有限公司"
    eid = seed.enterprise(ui, name, [leader])
    r = httpx.put(f"{ui.url('visits')}/api/v1/townships/dacheng/enterprises/{eid}/location", headers=seed.CLERK,
                  json={"lat": 34.6170, "lng": 108.9400})
    assert r.status_code == 200, r.text
    clerk = person("dev-dacheng-clerk", phone=True)
    clerk.page.context.grant_permissions(["geolocation"])
    clerk.page.context.set_geolocation({"latitude": 34.6190, "longitude": 108.9400, "accuracy": 12})  # ≈ 222 m north
    page = clerk.go("/visits/new")
    page.fill("#f-enterprise-q", name[:6])
    page.click(f"#enterprise-suggest button:has-text('{name}')")
    # The visitors are swapped in for the picked enterprise: tick its leader once they are there.
    expect(page.locator("#visitors .visitor").first).to_contain_text("包抓")
    page.check(f"#visitors input[name=visitor_ids][value={leader}]")
    page.click("#check-in-locate")
    page.wait_for_function("() => document.querySelector('input[name=check_in_lat]').value !== ''")
    assert "已定位" in page.locator("#check-in-status").inner_text()
    clerk.shot("visit-check-in-phone")
    with page.expect_navigation(timeout=60_000):  # logging a visit on a busy machine can take a while
        page.click("#submit-visit")
    assert re.search(r"/visits/v-[0-9a-f-]+\?done=logged", page.url), page.locator("main").inner_text()[:1500]
    said = page.locator("#check-in").inner_text()
    assert "距企业 222 米" in said and "500 米签到范围内" in said and "不在" not in said
