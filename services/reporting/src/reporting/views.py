"""Report reads that do not grow with the history: each township's tally for a period is kept once computed,
until the projector stores a fact of that township (it calls `touched` after every batch it writes).

A tally is kept with the township's version read before its facts were; a batch that lands meanwhile bumps
the version, so the tally is never served stale. The cache is this process's: it is right because the
process that serves the reports is the one that projects them (one reporting process, as FerretDB needs).
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Callable, Iterable, Optional

from reporting.report import Period, Tally, by_township, tally
from reporting.store import Store

MAX_TALLIES = 100_000


class Views:
    def __init__(self, max_tallies: int = MAX_TALLIES):
        self._version: dict[tuple[str, str], int] = defaultdict(int)
        self._tallies: OrderedDict[tuple[str, str, str], tuple[int, Tally]] = OrderedDict()
        self._townships: dict[str, set[str]] = {}  # per generation, once a full scan has listed them
        self._epoch = 0  # bumped by every touch: a county body kept at an older epoch is stale
        self._bodies: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._max = max_tallies
        self.stats = {"hits": 0, "misses": 0}

    def touched(self, prefix: str, townships: Iterable[str]) -> None:
        self._epoch += 1
        for t in townships:
            self._version[(prefix, t)] += 1
            if prefix in self._townships:
                self._townships[prefix].add(t)

    def _get(self, prefix: str, township: str, period: Period) -> Optional[Tally]:
        key = (prefix, township, period.text)
        kept = self._tallies.get(key)
        if kept is None or kept[0] != self._version[(prefix, township)]:
            return None
        self._tallies.move_to_end(key)
        return kept[1]

    def _put(self, prefix: str, township: str, period: Period, version: int, t: Tally) -> None:
        if version != self._version[(prefix, township)]:
            return  # a batch landed while we read: keep nothing
        self._tallies[(prefix, township, period.text)] = (version, t)
        self._tallies.move_to_end((prefix, township, period.text))
        while len(self._tallies) > self._max:
            self._tallies.popitem(last=False)

    async def township(self, store: Store, township: str, period: Period) -> Optional[Tally]:
        """The township's tally, or None if it has no facts at all."""
        if (kept := self._get(store.prefix, township, period)) is not None:
            self.stats["hits"] += 1
            return kept
        self.stats["misses"] += 1
        version = self._version[(store.prefix, township)]
        facts = await store.facts(township)
        if not any(facts.values()):
            return None
        t = tally(facts, township, period)
        self._put(store.prefix, township, period, version, t)
        return t

    async def county_body(self, store: Store, period: Period, render: Callable[[dict[str, Tally]], bytes]) -> bytes:
        """The county report as sent, kept until the next touch: with nothing new, a read costs a lookup."""
        key = (store.prefix, period.text)
        kept = self._bodies.get(key)
        if kept is not None and kept[0] == self._epoch:
            return kept[1]
        epoch = self._epoch
        body = render(await self.county(store, period))
        if epoch == self._epoch:
            self._bodies[key] = (epoch, body)
        return body

    async def county(self, store: Store, period: Period) -> dict[str, Tally]:
        """Every township's tally: kept ones as they are, the others from one query for just those townships
        (the first time, from one read of all facts, which also lists the townships)."""
        known = self._townships.get(store.prefix)
        out: dict[str, Tally] = {}
        stale = []
        for t in sorted(known or ()):
            kept = self._get(store.prefix, t, period)
            if kept is None:
                stale.append(t)
            else:
                out[t] = kept
        self.stats["hits"] += len(out)
        if known is not None and not stale:
            return out
        self.stats["misses"] += len(stale) if known is not None else 1
        versions = dict(self._version)
        listed = self._townships.setdefault(store.prefix, set())  # from now on, touches add to it
        grouped = by_township(await store.facts(stale if known is not None else None))
        listed |= set(grouped)
        for t, facts in grouped.items():
            out[t] = tally(facts, t, period)
            self._put(store.prefix, t, period, versions.get((store.prefix, t), 0), out[t])
        return out
