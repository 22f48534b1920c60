"""The Chinese a person reads for each value of the contract's enumerations and each field of a request."""
from __future__ import annotations

ROLES = {"handler": "承办", "viewer": "只读", "clerk": "经办", "supervisor": "督查", "admin": "管理员"}

ENTERPRISE_CATEGORY = {
    "industry": "规上工业", "construction": "资质建筑业", "trade": "限上批零住餐", "services": "规上服务业",
    "real_estate": "房地产开发", "project": "重点项目", "other": "其他",
}
RANK = {"county": "县级领导", "township": "镇班子成员", "cadre": "干部", "other": "其他"}
CHANNEL = {"in_person": "实地走访", "phone": "电话", "remote": "视频/线上"}
VISIT_KIND = {"routine": "日常走访", "visit_day": "企业走访日", "walkthrough": "一把手走流程", "joint": "联合走访"}
SERVICE = {"policy": "送政策", "warmth": "送温暖", "vitality": "送活力", "confidence": "送信心"}
ISSUE_CATEGORY = {
    "labour": "用工", "financing": "融资", "land": "用地", "approval": "审批", "market": "产品推介/市场",
    "infrastructure": "水电气路", "policy": "政策兑现", "other": "其他",
}
ISSUE_SOURCE = {"visit": "走访", "hotline": "12345热线", "platform": "企业服务平台", "leader": "领导交办", "other": "其他"}
OUTCOME = {"resolved": "已解决", "explained": "解释说明", "not_in_scope": "不属职责", "duplicate": "重复诉求"}
SATISFACTION = {"very_satisfied": "非常满意", "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
LEVEL = {"none": "正常", "blue": "蓝色（临期）", "yellow": "黄色（超期）", "red": "红色（严重超期）"}
STATUS = {"open": "办理中", "closed": "已办结"}
UNIT_KIND = {"county_department": "县直部门", "township_office": "乡镇站所", "park_service": "园区服务点（园小二）", "other": "其他"}
ROUTING = {"unrouted": "待派发", "routed": "待签收", "acknowledged": "已签收", "returned": "已退回"}
EXTENSION = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}
NOTICE_KIND = {"new_issue": "新工单", "reminder": "临期提醒", "supervision": "督办单", "digest": "每周汇总"}
NOTICE_STATUS = {"pending": "待发送", "held": "免扰时段暂缓", "sent": "已发送", "failed": "发送失败"}
NOTICE_CHANNEL = {"webhook": "群机器人", "wecom": "企业微信", "dingtalk": "钉钉", "sms": "短信", "email": "电子邮件"}

FIELDS = {
    # visits
    "enterprise_id": "统一社会信用代码", "name": "名称", "category": "类别", "registered_on": "入库日期",
    "park": "所属园区", "assigned_official_ids": "包抓领导", "official_id": "干部编号", "rank": "职级", "unit": "单位",
    "visited_on": "走访日期", "visitor_ids": "走访人员", "channel": "走访方式", "kind": "走访类型",
    "services": "四送", "summary": "走访情况", "demands": "诉求", "description": "诉求内容",
    "resolved_on_spot": "当场解决", "override_reason": "再次走访的原因", "start": "开始日期", "end": "结束日期",
    "quiet_period_days": "免扰期（天）", "file": "导入文件",
    # issues
    "source": "来源", "responsible_unit": "责任单位", "deadline": "办理时限", "raised_on": "提出日期",
    "reason": "原因", "assigned_on": "交办日期", "closed_on": "办结日期", "outcome": "办理结果",
    "resolution": "办理情况", "satisfaction": "满意度", "reopened_on": "重新办理日期",
    "sla_working_days": "办理时限（工作日）", "blue_within_working_days": "蓝色预警（临期工作日）",
    "red_after_working_days": "红色预警（超期工作日）", "schedule": "节假日安排", "year": "年份",
    "period": "统计期", "county": "所属县",
    # units and the units' lifecycle
    "unit_id": "单位编号", "parent_id": "上级单位", "head": "负责人", "contact": "联系方式", "active": "启用",
    "suggested_unit_id": "建议改派单位", "co_unit_ids": "协办单位", "note": "答复内容", "part_done": "协办部分完成",
    "approved": "审批意见", "followed_up_on": "回访日期", "acknowledged_on": "签收日期",
}


def label(field: str) -> str:
    return FIELDS.get(field, ISSUE_CATEGORY.get(field, field))
