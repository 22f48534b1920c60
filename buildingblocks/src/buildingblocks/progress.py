"""Progress of long command-line work (a rebuild, a DLQ export or replay): a line on stderr every `every` items
or every `seconds`, whichever comes first. Short work prints nothing: the first line comes only after that much."""
from __future__ import annotations

import sys
import time
from typing import Callable, Optional, TextIO


class Progress:
    def __init__(self, what: str, total: Optional[int] = None, unit: str = "records", every: int = 10_000,
                 seconds: float = 5.0, out: Optional[TextIO] = None, clock: Callable[[], float] = time.monotonic):
        self.what, self.total, self.unit = what, total, unit
        self.every, self.seconds = every, seconds
        self.out = out if out is not None else sys.stderr
        self._clock = clock
        self.done = 0
        self.lines = 0  # progress lines printed
        self._started = self._shown_at = clock()
        self._shown = 0

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.done - self._shown >= self.every or self._clock() - self._shown_at >= self.seconds:
            self.show()

    def line(self) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        of = f" of {self.total:,} ({100 * self.done // max(self.total, 1)}%)" if self.total else ""
        return f"{self.what}: {self.done:,}{of} {self.unit}, {self.done / elapsed:,.0f}/s, {elapsed:,.0f} s"

    def show(self) -> None:
        print(self.line(), file=self.out, flush=True)
        self.lines += 1
        self._shown, self._shown_at = self.done, self._clock()

    def finish(self) -> None:
        """The last line, if any was shown (a short job stays quiet)."""
        if self.lines and self._shown != self.done:
            self.show()
