"""Township rules for issues: the SLA per category (working days) and the supervision thresholds.
Defaults live here; each township can set its own (PUT /api/v1/townships/{t}/settings)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from contracts.enums import IssueCategory
from issues.domain.refusals import InvalidValue

DEFAULT_SLA = {
    IssueCategory.labour: 10,
    IssueCategory.financing: 15,
    IssueCategory.land: 20,
    IssueCategory.approval: 10,
    IssueCategory.market: 10,
    IssueCategory.infrastructure: 15,
    IssueCategory.policy: 10,
    IssueCategory.other: 10,
}


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sla_working_days: dict[IssueCategory, int] = Field(default_factory=lambda: dict(DEFAULT_SLA))
    blue_within_working_days: int = Field(2, ge=0, le=60, description="blue: due within N working days")
    red_after_working_days: int = Field(5, ge=0, le=250, description="red: overdue by more than M working days")
    acknowledge_within: int = Field(1, ge=0, le=60, description="签收 on time: within N working days of the routing")

    def sla(self, category: IssueCategory) -> int:
        return self.sla_working_days.get(category, DEFAULT_SLA[category])


class RulesIn(BaseModel):
    """A township's changes; what it leaves out keeps its current value."""

    model_config = ConfigDict(extra="forbid")
    sla_working_days: dict[IssueCategory, int] = Field(default_factory=dict)
    blue_within_working_days: int | None = Field(None, ge=0, le=60)
    red_after_working_days: int | None = Field(None, ge=0, le=250)
    acknowledge_within: int | None = Field(None, ge=0, le=60)

    def applied_to(self, rules: Rules) -> Rules:
        for category, days in self.sla_working_days.items():
            if not 1 <= days <= 250:
                raise InvalidValue(f"sla_working_days.{category.value}", "must be between 1 and 250 working days")
        return Rules(
            sla_working_days={**rules.sla_working_days, **self.sla_working_days},
            blue_within_working_days=rules.blue_within_working_days if self.blue_within_working_days is None else self.blue_within_working_days,
            red_after_working_days=rules.red_after_working_days if self.red_after_working_days is None else self.red_after_working_days,
            acknowledge_within=rules.acknowledge_within if self.acknowledge_within is None else self.acknowledge_within,
        )
