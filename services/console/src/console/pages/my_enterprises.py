"""我的企业: an official's 包抓 enterprises in every township (the visits service's GET /api/v1/officials/{id}/enterprises),
with the last visit and the open issues; for a token that names its official (official_id)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from console.web import Who, page, townships, upstream

router = APIRouter()


@router.get("/my-enterprises")
async def mine(request: Request, who: Who, on: str = ""):
    me = getattr(who.principal, "official_id", None)
    if not me:
        return await page(request, "my_enterprises/index.html", who, mine=None, me=None)
    names = {t["township"]: t["name"] for t in await townships(request, who)}
    params = {"on": on} if on else {}
    if who.home is None:  # a county token: every township at once
        found = await upstream(request).get("visits", f"/api/v1/officials/{me}/enterprises", who.token, **params)
    else:  # a township's official: that township's
        found = await upstream(request).get("visits", f"/api/v1/townships/{who.home}/officials/{me}/enterprises", who.token, **params)
    rows = [{**e, "township_name": names.get(e["township"], e["township"])} for e in found["enterprises"]]
    return await page(request, "my_enterprises/index.html", who, mine=rows, me=me, on=found["on"],
                      township_count=len(found["townships"]), never=sum(1 for e in rows if not e["last_visited_on"]),
                      open_total=sum(e.get("open_issues", 0) for e in rows))
