"""Enumerations of CONTRACTS.md §1, with the Chinese term each value stands for."""
from enum import Enum


class EnterpriseCategory(str, Enum):
    industry = "industry"          # 规上工业
    construction = "construction"  # 资质建筑业
    trade = "trade"                # 限上批零住餐
    services = "services"          # 规上服务业
    real_estate = "real_estate"    # 房地产开发
    project = "project"            # 重点项目
    other = "other"


class Rank(str, Enum):
    county = "county"      # 县处级
    township = "township"  # 镇班子成员
    cadre = "cadre"        # 干部
    other = "other"


class Channel(str, Enum):
    in_person = "in_person"
    phone = "phone"
    remote = "remote"


class VisitKind(str, Enum):
    routine = "routine"
    visit_day = "visit_day"      # 企业走访日
    walkthrough = "walkthrough"  # 一把手走流程
    joint = "joint"              # 联合走访


class Service(str, Enum):
    policy = "policy"          # 送政策
    warmth = "warmth"          # 送温暖
    vitality = "vitality"      # 送活力
    confidence = "confidence"  # 送信心


class IssueCategory(str, Enum):
    labour = "labour"                  # 用工
    financing = "financing"            # 融资
    land = "land"                      # 用地
    approval = "approval"              # 审批
    market = "market"                  # 产品推介/市场
    infrastructure = "infrastructure"  # 基础设施/水电气路
    policy = "policy"                  # 政策兑现
    other = "other"


class IssueSource(str, Enum):
    visit = "visit"
    hotline = "hotline"
    platform = "platform"
    leader = "leader"
    other = "other"


class Outcome(str, Enum):
    resolved = "resolved"          # 解决
    explained = "explained"        # 解释说明
    not_in_scope = "not_in_scope"  # 不属职责
    duplicate = "duplicate"        # 重复


class Satisfaction(str, Enum):
    very_satisfied = "very_satisfied"
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


class Level(str, Enum):
    """Supervision (督办) level of an open issue."""

    none = "none"
    blue = "blue"      # due within N working days
    yellow = "yellow"  # overdue
    red = "red"        # overdue by more than M working days


class UnitKind(str, Enum):
    """What kind of responsible unit (责任单位) works an issue."""

    county_department = "county_department"  # 县直部门
    township_office = "township_office"      # 乡镇站所、办公室
    park_service = "park_service"            # 园区服务点（"园小二"）
    other = "other"


class FindingSource(str, Enum):
    """Where a problem that is not an enterprise's was found."""

    walkthrough = "walkthrough"  # 一把手走流程
    inspection = "inspection"    # 督查（整改）
    other = "other"


class SubjectKind(str, Enum):
    """What a finding is about, when it is not an enterprise."""

    procedure = "procedure"  # 办事流程
    unit = "unit"            # 单位、窗口
    other = "other"


class EnterpriseStatus(str, Enum):
    """企业状态: whether an enterprise is on its township's list; moved_out and deregistered have left it."""

    active = "active"              # 在营
    suspended = "suspended"        # 停产 (still on the list: it needs visiting all the more)
    moved_out = "moved_out"        # 迁出
    deregistered = "deregistered"  # 注销


LEFT_THE_LIST = frozenset({EnterpriseStatus.moved_out, EnterpriseStatus.deregistered})
