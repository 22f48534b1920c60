"""Report reads that do not grow with the history: each township's tally for a period is kept once computed,
until a projector stores a fact of that township.

Right with any number of replicas: whichever process writes facts bumps the versions of their townships in one
shared document per generation after the write (`Store.add`, store.py), and every read first fetches that document
by `_id` (one cheap lookup) and trusts a kept tally only if it was kept at its township's current version. A tally is
kept with the version read before its facts were, so a batch that lands meanwhile makes the next read compute again:
never served stale, whichever replica projected it.

Computed tallies are also stored with their version (`report_tallies`), so a restarted process or another replica
serves them with one lookup by `_id` instead of reading the township's facts again: the first read after a restart
does not grow with the history.

The county report's body is kept and stored at the generation's write count (`report_bodies`): with nothing written
since, a new process serves it with one lookup instead of one tally per township and period.

A report compares its period with the one before and the same one a year earlier (report.compared_periods): those
are just more tallies kept by (township, period), read from the same facts as the period's own when any is missing.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Optional

from reporting.report import (
    FIGURES,
    TALLY_FORMAT,
    Compared,
    CountyCompared,
    Period,
    Tally,
    by_township,
    compared_periods,
    tally,
    tally_doc,
    tally_from_doc,
)
from reporting.store import Store

MAX_TALLIES = 100_000
MAX_FACTS_PER_READ = 100_000
# What a stored body was rendered from: a release that renders a report of another shape, or from tallies of another
# format, must not serve the bodies an earlier one stored.
BODY_SHAPE = f"figures {FIGURES}, tallies {TALLY_FORMAT}"


class Views:
    def __init__(self, max_tallies: int = MAX_TALLIES, max_facts_per_read: int = MAX_FACTS_PER_READ):
        self._tallies: OrderedDict[tuple[str, str, str], tuple[int, Tally]] = OrderedDict()
        self._townships: dict[str, set[str]] = {}  # per generation, once a full scan has listed them
        self._bodies: dict[tuple[str, str], tuple[int, bytes]] = {}  # county bodies, kept at the generation's count
        self._max = max_tallies
        self._max_facts = max_facts_per_read
        self.stats = {"hits": 0, "misses": 0, "stored": 0}

    def _get(self, prefix: str, township: str, period: Period, version: int) -> Optional[Tally]:
        key = (prefix, township, period.text)
        kept = self._tallies.get(key)
        if kept is None or kept[0] != version:
            return None
        self._tallies.move_to_end(key)
        return kept[1]

    def _put(self, prefix: str, township: str, period: Period, version: int, t: Tally) -> None:
        self._tallies[(prefix, township, period.text)] = (version, t)
        self._tallies.move_to_end((prefix, township, period.text))
        while len(self._tallies) > self._max:
            self._tallies.popitem(last=False)

    async def township(self, store: Store, township: str, period: Period) -> Optional[Tally]:
        """The township's tally, or None if it has no facts at all."""
        found = await self.township_periods(store, township, [period])
        return None if found is None else found[period.text]

    async def township_compared(self, store: Store, township: str, period: Period) -> Optional[tuple[Tally, Compared]]:
        """The township's tally and those its report compares with (report.compared_periods), or None without facts:
        the other periods are just more kept tallies, read from the same facts when any is missing."""
        prev, last_year = compared_periods(period)
        found = await self.township_periods(store, township, [period, *(p for p in (prev, last_year) if p)])
        if found is None:
            return None
        return found[period.text], (found[prev.text] if prev else None, found[last_year.text] if last_year else None)

    async def township_periods(self, store: Store, township: str, periods: list[Period]) -> Optional[dict[str, Tally]]:
        """The township's tallies of these periods (by period text), or None if it has no facts at all: kept ones,
        then stored ones still at the township's version, the others from one read of its facts."""
        _, versions = await store.versions()
        version = versions.get(township, 0)
        out: dict[str, Tally] = {}
        for p in periods:
            if (kept := self._get(store.prefix, township, p, version)) is not None:
                self.stats["hits"] += 1
                out[p.text] = kept
        for p in periods:
            if p.text not in out and (stored := await self._stored(store, [township], p, versions)).get(township):
                out[p.text] = stored[township]
        missing = [p for p in periods if p.text not in out]
        if not missing:
            return out
        self.stats["misses"] += 1
        facts = await store.facts(township)
        if not any(facts.values()):
            return None
        for p in missing:
            t = out[p.text] = tally(facts, township, p)
            self._put(store.prefix, township, p, version, t)
            if version:
                await store.keep_tallies(p.text, {township: (version, tally_doc(t))})
        return out

    async def _stored(self, store: Store, townships: list[str], period: Period, versions: dict[str, int]) -> dict[str, Tally]:
        """The tallies stored at their township's current version (by another replica, or before a restart)."""
        out = {}
        for t, (version, doc) in (await store.kept_tallies(townships, period.text)).items():
            if version == versions.get(t, 0) and version and (kept := tally_from_doc(doc, t, period)) is not None:
                out[t] = kept
                self._put(store.prefix, t, period, version, kept)
        self.stats["stored"] += len(out)
        return out

    async def county_body(self, store: Store, period: Period,
                          render: Callable[[dict[str, Tally], CountyCompared], bytes]) -> bytes:
        """The county report as sent, kept until the next write of any township: with nothing new, a read costs
        the versions lookup. `render` gets every township's tallies and those of the periods compared. The body is
        stored too, at the generation's write count, so a restarted process or another replica serves it with one
        more lookup by `_id` instead of reading every township's tallies (6,000 of them for 2,000 townships)."""
        key = (store.prefix, period.text)
        count, versions = await store.versions()
        kept = self._bodies.get(key)
        if kept is not None and kept[0] == count:
            return kept[1]
        if count and (stored := await store.kept_body(period.text)) and stored[:2] == (count, BODY_SHAPE):
            self.stats["stored"] += 1
            self._bodies[key] = (count, stored[2])
            return stored[2]
        tallies, compared = await self.county_compared(store, period, versions)
        body = render(tallies, compared)
        self._bodies[key] = (count, body)
        if count:
            await store.keep_body(period.text, count, BODY_SHAPE, body)
        return body

    async def county_compared(self, store: Store, period: Period, versions: Optional[dict[str, int]] = None
                              ) -> tuple[dict[str, Tally], CountyCompared]:
        """Every township's tallies of the period, and of the periods its report compares with."""
        prev, last_year = compared_periods(period)
        found = await self.county_periods(store, [period, *(p for p in (prev, last_year) if p)], versions)
        return found[period.text], (found[prev.text] if prev else None, found[last_year.text] if last_year else None)

    async def county(self, store: Store, period: Period, versions: Optional[dict[str, int]] = None) -> dict[str, Tally]:
        """Every township's tally of the period."""
        return (await self.county_periods(store, [period], versions))[period.text]

    async def county_periods(self, store: Store, periods: list[Period], versions: Optional[dict[str, int]] = None
                             ) -> dict[str, dict[str, Tally]]:
        """Every township's tally of each period (by period text): kept ones as they are, then stored ones still at
        their version, the others from one query for just those townships. The townships are the ones the versions
        document names (every write of facts names its township there); only a store without it is listed by one read
        of all facts. Townships not kept anywhere are read a bounded number at a time (`_chunk_size`)."""
        if versions is None:
            _, versions = await store.versions()
        listed = self._townships.get(store.prefix)
        if listed is None and versions:
            listed = self._townships[store.prefix] = set(versions)
        out: dict[str, dict[str, Tally]] = {p.text: {} for p in periods}
        if listed is None:
            self.stats["misses"] += 1
            grouped = by_township(await store.facts(None))
            self._townships.setdefault(store.prefix, set()).update(grouped, versions)
            await self._compute(store, periods, versions, grouped, out)
            return out
        listed |= set(versions)  # townships written since, by any replica
        for p in periods:
            mine, stale = out[p.text], []
            for t in sorted(listed):
                kept = self._get(store.prefix, t, p, versions.get(t, 0))
                if kept is None:
                    stale.append(t)
                else:
                    mine[t] = kept
            self.stats["hits"] += len(mine)
            if stale:
                mine.update(await self._stored(store, stale, p, versions))
        stale = sorted({t for t in listed for p in periods if t not in out[p.text]})
        if not stale:
            return out
        self.stats["misses"] += len(stale)
        size = await self._chunk_size(store, len(listed)) if len(stale) > 1 else 1
        for chunk in chunked(stale, size):
            await self._compute(store, periods, versions, by_township(await store.facts(chunk)), out)
        return out

    async def _chunk_size(self, store: Store, townships: int) -> int:
        """How many townships' facts to read at once so that one read holds about MAX_FACTS_PER_READ facts: the
        first read of a long history (after a rebuild, or of a period never read) must not make the store and this
        process hold every fact at once."""
        per_township = await store.fact_count() / max(townships, 1)
        return max(1, int(self._max_facts // max(per_township, 1)))

    async def _compute(self, store: Store, periods: list[Period], versions: dict[str, int],
                       grouped: dict[str, dict[str, list[dict]]], out: dict[str, dict[str, Tally]]) -> None:
        """Tally the townships read (those not found kept), keep the tallies here and in the store."""
        for p in periods:
            computed = {}
            for t, facts in grouped.items():
                if t in out[p.text]:
                    continue
                out[p.text][t] = tally(facts, t, p)
                self._put(store.prefix, t, p, versions.get(t, 0), out[p.text][t])
                computed[t] = (versions.get(t, 0), tally_doc(out[p.text][t]))
            await store.keep_tallies(p.text, {t: c for t, c in computed.items() if c[0]})


def chunked(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
