"""The responsible units (责任单位) of the demo and the township's routing: the county's departments, the town's
offices and the park's service point (园小二), and which unit a new issue of each category goes to. Registered
with PUTs, so a second run changes nothing (the issues service publishes nothing for an unchanged unit)."""
from __future__ import annotations

from demo.api import Api

COUNTY_UNITS = [  # (unit_id, name, kind): the names the demo's demands name (plan.DEMANDS)
    ("c-rsj", "县人社局", "county_department"),
    ("c-zrzyj", "县自然资源局", "county_department"),
    ("c-fgj", "县发改局", "county_department"),
    ("c-spj", "县行政审批服务局", "county_department"),
    ("c-zjj", "县住建局", "county_department"),
    ("c-jrzx", "县金融服务中心", "county_department"),
    ("c-gdfgs", "县供电分公司", "other"),
]
TOWNSHIP_UNITS = [  # (suffix of the township id, name, kind)
    ("rss", "人社所", "township_office"),
    ("ghs", "镇规划所", "township_office"),
    ("yxe", "园小二政务服务点", "park_service"),
]
ROUTING = {"labour": "{t}-rss", "financing": "c-jrzx", "land": "c-zrzyj", "approval": "c-spj", "market": "{t}-yxe",
           "infrastructure": "{t}-ghs", "policy": "c-rsj", "other": None}
NAMES = {"dacheng": "大程镇"}


def township_units(township: str) -> list[tuple[str, str, str]]:
    prefix = NAMES.get(township, "") if township != "county" else ""
    return [(f"{township}-{suffix}", prefix + name if suffix == "rss" else name, kind)
            for suffix, name, kind in TOWNSHIP_UNITS]


def unit_ids(township: str) -> dict[str, str]:
    """Unit name → unit id, for routing the demo's demands to registered units."""
    return {name: unit_id for unit_id, name, _ in COUNTY_UNITS + township_units(township)}


def register(api: Api) -> int:
    """The units and the routing; returns how many units are registered."""
    t = api.township
    for unit_id, name, kind in COUNTY_UNITS:
        api.put_as_admin(f"/api/v1/townships/county/units/{unit_id}", {"name": name, "kind": kind})
    for unit_id, name, kind in township_units(t):
        api.put_as_admin(f"/api/v1/townships/{t}/units/{unit_id}", {"name": name, "kind": kind})
    api.put_as_admin(f"/api/v1/townships/{t}/routing",
                     {c: (u.format(t=t) if u else None) for c, u in ROUTING.items()})
    return len(COUNTY_UNITS) + len(TOWNSHIP_UNITS)
