"""工作台: what each person should do next — the clerk's unvisited enterprises and issues near their deadline,
the 包抓 leader's enterprises, the county supervisor's counts."""
from __future__ import annotations

from fastapi import APIRouter, Request

from console.upstream import ServiceError
from console.web import Who, back, china_today, current_township, is_handler, page, townships, upstream

router = APIRouter()
NEAR = ("red", "yellow", "blue")


@router.get("/")
async def workbench(request: Request, who: Who):
    if is_handler(who):
        return back("/mine")  # a unit's handler lands on its queue
    up, token = upstream(request), who.token
    known = await townships(request, who)
    if getattr(who.principal, "official_id", None):
        return await page(request, "workbench/leader.html", who, mine=await _leader(request, who, known))
    if who.home is None:
        try:
            board = await up.get("issues", "/api/v1/supervision", token)
        except ServiceError:
            board = None
        return await page(request, "workbench/county.html", who, board=board, names={t["township"]: t["name"] for t in known})
    township = current_township(who, known)
    month = china_today().strftime("%Y-%m")
    enterprises = await up.get("visits", f"/api/v1/townships/{township}/enterprises", token)
    unvisited = [e for e in enterprises if not (e.get("last_visited_on") or "").startswith(month)]
    issues = await up.get("issues", f"/api/v1/townships/{township}/issues", token, status="open")
    urgent = sorted((i for i in issues if i.get("level") in NEAR), key=lambda i: (NEAR.index(i["level"]), i.get("deadline") or ""))
    names = {e["enterprise_id"]: e["name"] for e in enterprises}
    return await page(request, "workbench/township.html", who, unvisited=unvisited, urgent=urgent, open_count=len(issues),
                      enterprise_count=len(enterprises), names=names, month=month)


async def _leader(request: Request, who: Who, known: list[dict]) -> list[dict]:
    """The leader's 包抓 enterprises in every township, with last visit and open issues."""
    up, me = upstream(request), who.principal.official_id
    mine = []
    for t in known:
        try:
            enterprises = await up.get("visits", f"/api/v1/townships/{t['township']}/enterprises", who.token)
        except ServiceError:
            continue
        assigned = [e for e in enterprises if me in (e.get("assigned_official_ids") or [])]
        if not assigned:
            continue
        issues = await up.get("issues", f"/api/v1/townships/{t['township']}/issues", who.token, status="open")
        for e in assigned:
            own = [i for i in issues if i["enterprise_id"] == e["enterprise_id"]]
            mine.append({**e, "township_name": t["name"], "open_issues": own})
    return mine
