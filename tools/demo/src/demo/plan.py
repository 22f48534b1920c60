"""The quarter's visits, planned deterministically: each enterprise visited 1-3 times, ≥ 14 days apart.

Visit 1 (January): joint, led by the enterprise's county leader with a town leader.
Visit 2 (February): routine by a town leader and a 园小二 cadre, or the party secretary / mayor walking
the process (walkthrough); some by phone. Visit 3, or visit 2 of some: the quarterly 企业走访日 on 18 March.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from demo.enterprises import Enterprise
from demo.people import CADRES, MAYOR, PARTY_SECRETARY, TOWN

VISIT_DAY = date(2026, 3, 18)
SPRING_FESTIVAL = (date(2026, 2, 14), date(2026, 2, 23))  # no visits during the holiday


@dataclass(frozen=True)
class Demand:
    category: str
    description: str
    spot: bool = False  # resolved on the spot: no issue
    fate: str = "close"  # close | late | reopen | open | open_assigned (set for issues)
    unit: str | None = None  # responsible unit (责任单位) it is routed to


@dataclass(frozen=True)
class Visit:
    enterprise: Enterprise
    visited_on: date
    visitor_ids: list[str]
    kind: str
    channel: str = "in_person"
    services: list[str] = field(default_factory=list)
    summary: str = ""
    demands: list[Demand] = field(default_factory=list)


# (category, description, responsible unit)
DEMANDS = [
    ("labour", "春节后返岗用工缺口约30人，急需焊工、数控操作工", "县人社局"),
    ("financing", "流动资金紧张，希望对接银行办理贷款500万元", "县发改局"),
    ("land", "二期扩建需新增工业用地约20亩", "镇规划所"),
    ("approval", "新生产线环评批复办理进度较慢", "县行政审批服务局"),
    ("market", "新产品希望参加园区产品推介会、对接县内采购", "园小二政务服务点"),
    ("infrastructure", "厂区门前道路破损，大货车通行困难", "镇规划所"),
    ("policy", "2025年度稳岗补贴尚未兑现", "县人社局"),
    ("infrastructure", "生产用电容量不足，需增容一台变压器", "县供电分公司"),
    ("labour", "需招聘质检员10名，希望园小二协助发布招聘信息", "园小二政务服务点"),
    ("policy", "技改项目奖补资金申请进度", "县发改局"),
    ("financing", "申请秦信贷贴息贷款，材料准备有困难", "县金融服务中心"),
    ("approval", "施工许可证办理需帮办代办", "园小二政务服务点"),
    ("infrastructure", "天然气管道尚未接入厂区", "县住建局"),
]
ON_SPOT = [
    ("policy", "咨询研发费用加计扣除政策，现场讲解清楚"),
    ("market", "咨询县内展会信息，现场提供了日程"),
    ("labour", "咨询社保补贴申领流程，现场讲解"),
]
SERVICES = [["policy", "warmth"], ["policy", "confidence"], ["warmth", "vitality"], ["policy", "vitality", "confidence"]]
FATES = ["close", "close", "open_assigned", "close", "late", "close", "open", "close", "close", "late", "close"]


def _weekday(day: date) -> date:
    while day.weekday() >= 5 or SPRING_FESTIVAL[0] <= day <= SPRING_FESTIVAL[1]:
        day += timedelta(days=1)
    return day


class _Demands:
    """Hands out demands in a fixed rotation, each issue with its fate."""

    def __init__(self) -> None:
        self.n = self.issues = self.spot = 0
        self.reopen_given = False

    def issue(self, visited_on: date) -> Demand:
        category, text, unit = DEMANDS[self.n % len(DEMANDS)]
        self.n += 1
        fate = FATES[self.issues % len(FATES)]
        self.issues += 1
        if visited_on.month == 1 and not self.reopen_given and fate == "close":
            fate, self.reopen_given = "reopen", True
        if fate == "late" and visited_on >= date(2026, 3, 1):
            fate = "close"  # a late close of a March issue would fall outside the quarter
        return Demand(category, text, fate=fate, unit=unit)

    def on_spot(self) -> Demand:
        category, text = ON_SPOT[self.spot % len(ON_SPOT)]
        self.spot += 1
        return Demand(category, text, spot=True)


def visits_for(enterprises: list[Enterprise]) -> list[Visit]:
    jan = [d for d in (date(2026, 1, 6) + timedelta(days=n) for n in range(18)) if d.weekday() < 5]
    demands = _Demands()
    out: list[Visit] = []
    for i, e in enumerate(enterprises):
        town = TOWN[i % len(TOWN)][0]
        cadre = CADRES[i % len(CADRES)][0]
        count = 1 + i % 3
        first = jan[i % len(jan)]
        out.append(Visit(
            e, first, [e.leader_id, town], "joint", services=SERVICES[i % 4],
            summary=f"县处级领导包抓走访，了解{e.name}复工复产情况，宣讲惠企政策",
            demands=[demands.issue(first)] + ([demands.on_spot()] if i % 4 == 1 else []),
        ))
        feb = count == 3 or (count == 2 and i % 2 == 0)
        if feb:
            day = _weekday(first + timedelta(days=28))
            if e.category == "industry" and i % 4 == 0:
                lead = PARTY_SECRETARY if i % 8 == 0 else MAYOR
                out.append(Visit(e, day, [lead, cadre], "walkthrough", services=["vitality", "confidence"],
                                 summary="一把手走流程：跟办企业审批、用工手续，查找流程堵点",
                                 demands=[demands.issue(day)]))
            else:
                phone = e.category in ("trade", "services") and i % 5 == 0
                out.append(Visit(e, day, [town, cadre], "routine", channel="phone" if phone else "in_person",
                                 services=["policy"], summary="回访上次所提诉求办理情况",
                                 demands=[demands.issue(day)] if i % 3 == 0 else []))
        if count == 3 or not feb and count == 2:
            team = [town, cadre] if i % 9 >= 3 else [e.leader_id, town, cadre]
            out.append(Visit(e, VISIT_DAY, team, "visit_day", services=SERVICES[(i + 1) % 4],
                             summary="一季度企业走访日：了解一季度生产经营，助力开门红",
                             demands=[demands.on_spot() if i % 2 else demands.issue(VISIT_DAY)]))
    return out
