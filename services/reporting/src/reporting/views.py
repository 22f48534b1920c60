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
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Optional

from reporting.report import Period, Tally, by_township, tally, tally_doc, tally_from_doc
from reporting.store import Store

MAX_TALLIES = 100_000


class Views:
    def __init__(self, max_tallies: int = MAX_TALLIES):
        self._tallies: OrderedDict[tuple[str, str, str], tuple[int, Tally]] = OrderedDict()
        self._townships: dict[str, set[str]] = {}  # per generation, once a full scan has listed them
        self._bodies: dict[tuple[str, str], tuple[int, bytes]] = {}  # county bodies, kept at the generation's count
        self._max = max_tallies
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
        _, versions = await store.versions()
        version = versions.get(township, 0)
        if (kept := self._get(store.prefix, township, period, version)) is not None:
            self.stats["hits"] += 1
            return kept
        if (stored := await self._stored(store, [township], period, versions)).get(township):
            return stored[township]
        self.stats["misses"] += 1
        facts = await store.facts(township)
        if not any(facts.values()):
            return None
        t = tally(facts, township, period)
        self._put(store.prefix, township, period, version, t)
        if version:
            await store.keep_tallies(period.text, {township: (version, tally_doc(t))})
        return t

    async def _stored(self, store: Store, townships: list[str], period: Period, versions: dict[str, int]) -> dict[str, Tally]:
        """The tallies stored at their township's current version (by another replica, or before a restart)."""
        out = {}
        for t, (version, doc) in (await store.kept_tallies(townships, period.text)).items():
            if version == versions.get(t, 0) and version and (kept := tally_from_doc(doc, t, period)) is not None:
                out[t] = kept
                self._put(store.prefix, t, period, version, kept)
        self.stats["stored"] += len(out)
        return out

    async def county_body(self, store: Store, period: Period, render: Callable[[dict[str, Tally]], bytes]) -> bytes:
        """The county report as sent, kept until the next write of any township: with nothing new, a read costs
        the versions lookup."""
        key = (store.prefix, period.text)
        count, versions = await store.versions()
        kept = self._bodies.get(key)
        if kept is not None and kept[0] == count:
            return kept[1]
        body = render(await self.county(store, period, versions))
        self._bodies[key] = (count, body)
        return body

    async def county(self, store: Store, period: Period, versions: Optional[dict[str, int]] = None) -> dict[str, Tally]:
        """Every township's tally: kept ones as they are, then stored ones still at their version, the others from
        one query for just those townships. The townships are the ones the versions document names (every write of
        facts names its township there); only a store without it is listed by one read of all facts."""
        if versions is None:
            _, versions = await store.versions()
        listed = self._townships.get(store.prefix)
        if listed is None and versions:
            listed = self._townships[store.prefix] = set(versions)
        out: dict[str, Tally] = {}
        stale = []
        if listed is not None:
            listed |= set(versions)  # townships written since, by any replica
            for t in sorted(listed):
                kept = self._get(store.prefix, t, period, versions.get(t, 0))
                if kept is None:
                    stale.append(t)
                else:
                    out[t] = kept
            self.stats["hits"] += len(out)
            if stale:
                stored = await self._stored(store, stale, period, versions)
                out.update(stored)
                stale = [t for t in stale if t not in stored]
            if not stale:
                return out
        self.stats["misses"] += len(stale) if listed is not None else 1
        grouped = by_township(await store.facts(stale if listed is not None else None))
        self._townships.setdefault(store.prefix, set()).update(grouped, versions)
        computed = {}
        for t, facts in grouped.items():
            out[t] = tally(facts, t, period)
            self._put(store.prefix, t, period, versions.get(t, 0), out[t])
            computed[t] = (versions.get(t, 0), tally_doc(out[t]))
        await store.keep_tallies(period.text, {t: c for t, c in computed.items() if c[0]})
        return out
