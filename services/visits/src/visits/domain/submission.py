"""How a request arrived, so that a retry is answered with the first result and never done twice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from visits.domain.refusals import KeyReused


@dataclass(frozen=True)
class Submission:
    key: Optional[str]  # the client's Idempotency-Key, if it sent one
    digest: str  # of the request's body

    def retried_by(self, other: "Submission") -> bool:
        """True if `other` is a retry of this request; KeyReused if it reuses the key for another body."""
        if not other.key or other.key != self.key:
            return False
        if other.digest != self.digest:
            raise KeyReused()
        return True
