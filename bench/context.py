"""What the P modules share: the scale, the stack, the service processes, the event stream produced so far."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

from bench import events, rawkafka
from bench.measure import Clock
from bench.stack import Processes, Stack


@dataclass(frozen=True)
class Scale:
    name: str
    townships: int
    p1_events: int          # P1: the reporting consumer vs a raw consumer on the first N events
    p3_events: int          # P3: rebuild of M events (P1's and the rest); P4's large read too
    p4_small_events: int    # P4: county report read at this many events ...
    p4_reads: int           # ... this many sequential reads, each side
    p4_budget_s: float      # ... within this time, each side
    p4_cold_budget_s: float  # P4: the first (cold) read of a process, timed apart from the others, within this
    p2_seconds: float       # P2: visits POSTed at 50/s for this long
    p5_seconds: float       # P5: 200 req/s for this long, each side
    consume_budget_s: float  # P1/P4: a reporting process must reach lag 0 within this
    rebuild_budget_s: float  # P3
    p6_history: int         # P6: visits and issues stored at the large level (the small one is 1k)
    p6_requests: int        # P6: requests per path and level


SCALES = {
    "small": Scale("small", townships=200, p1_events=20_000, p3_events=50_000, p4_small_events=5_000, p4_reads=200,
                   p4_budget_s=90, p4_cold_budget_s=300, p2_seconds=15, p5_seconds=5, consume_budget_s=300, rebuild_budget_s=600,
                   p6_history=5_000, p6_requests=60),
    "full": Scale("full", townships=2000, p1_events=200_000, p3_events=1_000_000, p4_small_events=10_000, p4_reads=200,
                  p4_budget_s=300, p4_cold_budget_s=1500, p2_seconds=60, p5_seconds=20, consume_budget_s=1200, rebuild_budget_s=4800,
                  p6_history=100_000, p6_requests=300),
}


@dataclass
class Ctx:
    scale: Scale
    stack: Stack
    procs: Processes
    clock: Clock = field(default_factory=Clock)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    produced: int = 0
    checked: int = 0
    produce_seconds: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.province = events.Province(self.scale.townships, run_id=self.run_id)

    def name(self, what: str) -> str:
        """A database / consumer group name of this run."""
        return f"bench_{self.run_id}_{what}"

    async def produce_to(self, total: int) -> None:
        """Produce the province's next events until `total` are on visits.v1 + issues.v1 from this stream;
        a sample (the first 300 and every 997th) is checked with contracts.parse."""
        n = total - self.produced
        if n <= 0:
            return
        sample: list[bytes] = []
        first = self.produced

        def stream() -> Iterator[tuple[str, str, bytes]]:
            for i, item in enumerate(self.province.take(n), start=first):
                if i < 300 or i % 997 == 0:
                    sample.append(item[2])
                yield item

        t0 = time.monotonic()
        with self.clock.phase(f"produce events (to {total:,})"):
            self.produced += await rawkafka.produce(self.stack.bootstrap, stream())
        self.produce_seconds += time.monotonic() - t0
        self.checked += events.check_sample(sample)
        self.raw["produced"] = {"events": self.produced, "by_type": dict(self.province.produced),
                                "seconds": round(self.produce_seconds, 1), "sample_checked": self.checked}
