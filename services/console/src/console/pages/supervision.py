"""督办看板: the open issues at red, yellow and blue, counted by township and by responsible unit, with a chart.
County people see the whole county (or one township, `?township=`); township people see their own."""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from fastapi import APIRouter, Request

from console.pages.issues import UNASSIGNED
from console.upstream import ServiceError
from console.web import Who, enterprise_names, page, township_for, townships, upstream

router = APIRouter()
LEVELS = ("red", "yellow", "blue")
LEVEL_NAMES = {"red": "红色督办", "yellow": "黄色督办", "blue": "蓝色预警"}
SHORT = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}
COLOURS = {"red": "#c62828", "yellow": "#e0a100", "blue": "#1565c0"}
NO_UNIT = "(unassigned)"  # the issues service's key for issues not routed yet


def tally_rows(counts: dict[str, dict], names: Optional[dict[str, str]] = None) -> list[dict]:
    """Rows of a count table, the most urgent first; keys named (township names, 未交办)."""
    names = names or {}
    rows = [{"key": k, "name": UNASSIGNED if k == NO_UNIT else names.get(k, k),
             **{f: int(c.get(f, 0)) for f in ("open", *LEVELS)}} for k, c in counts.items()]
    return sorted(rows, key=lambda r: (-r["red"], -r["yellow"], -r["blue"], -r["open"], r["name"]))


def chart_option(rows: list[dict]) -> dict[str, Any]:
    """An ECharts stacked horizontal bar of red/yellow/blue per row; the most urgent row on top."""
    shown = list(reversed(rows))
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [SHORT[lv] for lv in LEVELS], "top": 0},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": [r["name"] for r in shown],
                  "axisLabel": {"width": 110, "overflow": "truncate"}},
        "series": [{"name": SHORT[lv], "type": "bar", "stack": "level", "barMaxWidth": 28,
                    "itemStyle": {"color": COLOURS[lv]}, "data": [r[lv] for r in shown]} for lv in LEVELS],
    }


def columns(board: dict, names: dict[str, dict[str, str]], township_names: dict[str, str],
            here: Optional[str] = None) -> dict[str, list[dict]]:
    """Each level's issues, most overdue first, with the enterprise's and township's names and a link."""
    out = {}
    for lv in LEVELS:
        briefs = []
        for b in board.get("by_level", {}).get(lv, []):
            t = b.get("township") or here
            briefs.append({**b, "township": t, "township_name": township_names.get(t, t),
                           "enterprise_name": names.get(t, {}).get(b["enterprise_id"], b["enterprise_id"]),
                           "link": f"/issues/{b['issue_id']}?township={t}"})
        out[lv] = sorted(briefs, key=lambda b: (-(b.get("overdue_working_days") or 0), b.get("deadline") or ""))
    return out


def provisional_by_township(board: dict, here: Optional[str] = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in board.get("provisional_deadlines", []):
        t = p.get("township") if isinstance(p, dict) else here
        counts[t] = counts.get(t, 0) + 1
    return counts


@router.get("/supervision")
async def supervision_board(request: Request, who: Who):
    known = await townships(request, who)
    township_names = {t["township"]: t["name"] for t in known}
    county_wide = who.home is None and not request.query_params.get("township")
    up = upstream(request)
    here = None if county_wide else await township_for(request, who)
    try:
        if county_wide:
            board = await up.get("issues", "/api/v1/supervision", who.token)
        else:
            board = await up.get("issues", f"/api/v1/townships/{here}/supervision", who.token)
    except ServiceError as err:
        if err.status in (401, 403):
            raise
        return await page(request, "supervision/board.html", who, township=here, board=None, county_wide=county_wide,
                          scope_name="全县" if county_wide else township_names.get(here, here))
    seen = {b.get("township") or here for lv in LEVELS for b in board.get("by_level", {}).get(lv, [])}
    found = await asyncio.gather(*(enterprise_names(request, who, t) for t in sorted(seen)))
    names = dict(zip(sorted(seen), found))
    units = tally_rows(board.get("by_unit", {}))
    # every township in the registry has a row, a quiet one too
    counted = {t: board.get("by_township", {}).get(t) or {} for t in {*township_names, *board.get("by_township", {})}}
    places = tally_rows(counted, township_names) if county_wide else []
    provisional = provisional_by_township(board, here)
    for row in places:
        row["provisional"] = provisional.get(row["key"], 0)
    charted = places if county_wide else units
    return await page(
        request, "supervision/board.html", who, township=here, board=board, county_wide=county_wide,
        scope_name="全县" if county_wide else township_names.get(here, here),
        columns=columns(board, names, township_names, here), units=units, places=places,
        chart=chart_option(charted) if charted else None, chart_tall=len(charted) > 8,
        chart_by="乡镇" if county_wide else "责任单位", level_names=LEVEL_NAMES,
        open_total=sum(r["open"] for r in units), provisional_total=sum(provisional.values()))
