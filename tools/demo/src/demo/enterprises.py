"""The 27 "五上" enterprises and projects on the county visit platform, and their platform export (CSV)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from demo import uscc
from demo.people import COUNTY

PARK = "先进制造工业园"
# (name, category); industry and key projects sit in the park.
LIST = [
    ("三原华阳机械制造有限公司", "industry"),
    ("陕西大程汽车零部件有限公司", "industry"),
    ("三原恒信新材料科技有限公司", "industry"),
    ("陕西秦川精密铸造有限公司", "industry"),
    ("三原金穗食品有限公司", "industry"),
    ("陕西关中环保设备有限公司", "industry"),
    ("三原泰和包装制品有限公司", "industry"),
    ("陕西鼎盛电气设备有限公司", "industry"),
    ("三原绿源农产品加工有限公司", "industry"),
    ("陕西宏远塑业有限公司", "industry"),
    ("三原众邦建材有限公司", "industry"),
    ("陕西清河纺织有限公司", "industry"),
    ("三原建工集团大程分公司", "construction"),
    ("陕西恒基路桥工程有限公司", "construction"),
    ("三原安居建筑安装有限公司", "construction"),
    ("三原大程农资商贸有限公司", "trade"),
    ("三原鑫隆建材销售有限公司", "trade"),
    ("三原关中印象餐饮有限公司", "trade"),
    ("三原万家福超市有限公司", "trade"),
    ("三原顺达物流有限公司", "services"),
    ("陕西智联检测技术服务有限公司", "services"),
    ("三原康宁养老服务有限公司", "services"),
    ("三原大程置业有限公司", "real_estate"),
    ("三原清河湾房地产开发有限公司", "real_estate"),
    ("先进制造工业园标准化厂房二期项目", "project"),
    ("大程镇关中环线配套物流园项目", "project"),
    ("年产5万吨预制菜加工项目", "project"),
]
CATEGORY_ZH = {"industry": "规上工业", "construction": "资质建筑业", "trade": "限上批零住餐",
               "services": "规上服务业", "real_estate": "房地产开发", "project": "重点项目"}


@dataclass(frozen=True)
class Enterprise:
    enterprise_id: str
    name: str
    category: str
    registered_on: date
    park: str | None
    leader_id: str  # the county leader assigned (包抓); each leader has three


def all_for(township: str) -> list[Enterprise]:
    out = []
    for i, (name, category) in enumerate(LIST):
        out.append(Enterprise(
            enterprise_id=uscc.make(f"{township}/{name}"),
            name=name,
            category=category,
            registered_on=date(2026, 1, 5 + i % 4),  # entered on the platform in the first week of work
            park=PARK if category in ("industry", "project") else None,
            leader_id=COUNTY[i % len(COUNTY)][0],
        ))
    return out


def export_csv(enterprises: list[Enterprise]) -> bytes:
    """The platform's export: Chinese headers, codes wrapped as ="..." so Excel keeps them as text."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["序号", "统一社会信用代码", "企业名称", "企业类别", "纳入日期", "所在园区", "包抓领导编号"])
    for n, e in enumerate(enterprises, 1):
        w.writerow([n, f'="{e.enterprise_id}"', e.name, CATEGORY_ZH[e.category],
                    f"{e.registered_on.year}年{e.registered_on.month}月{e.registered_on.day}日", e.park or "", e.leader_id])
    return buf.getvalue().encode("utf-8-sig")
