"""The officials of a township, and the county's: who may be assigned to an enterprise and who may visit it.

County-level officials (县级领导) are registered once, under the township id "county", and may be assigned to and
visit enterprises of any township; a township's own registry is looked up first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Optional, Sequence

from contracts import events
from contracts.enums import Rank
from visits.domain.refusals import UnknownOfficials
from visits.domain.submission import Submission


COUNTY = "county"  # the registry of the county's own officials


@dataclass(frozen=True)
class Official:
    township: str
    official_id: str
    name: str
    rank: Rank
    unit: Optional[str] = None
    submission: Optional[Submission] = None
    recorded_by: Optional[str] = None  # who registered the official, and when
    recorded_at: Optional[datetime] = None

    def as_named(self) -> events.Official:
        """The official as events name them."""
        return events.Official(official_id=self.official_id, name=self.name, rank=self.rank)


def known(ids: Sequence[str], found: Mapping[str, Official]) -> list[Official]:
    """The officials named by `ids`, in that order; every one must be registered."""
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownOfficials(missing)
    return [found[i] for i in ids]
