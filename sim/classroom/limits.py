"""The door policy: how many wrong codes a class tolerates before the server stops checking.

A team code has about 40 bits (:mod:`sim.classroom.credentials`), enough only behind a rate
limit, and the limit is the server's job because only the server sees the requests. The
picture is a cloakroom attendant: after ten wrong tickets for the same coat rack within a
minute, nobody gets anything from that rack until the minute has passed, except the guests
already seen holding a good ticket today.

The budget, per class: **10 failed credential checks in any 60 seconds**. That is stricter
than the 10 a second the credentials module assumes for its odds, so a 3-hour session allows
about 1,800 guesses and the chance of hitting any of 40 team codes is below 1e-7.

Why the exception for known credentials: a limit that refused everyone would let one
guesser lock a whole classroom out. So while a class is over its budget, a credential that
already passed the store in this process (remembered only as a keyed digest, the key drawn
at start and never stored) is still checked by the store; any other is refused with 429
before the store sees it, so a guesser learns nothing, not even "no". A team that has not
joined yet waits out the minute.

State is in memory, in this process: a restart forgets it (the budget starts fresh, which
costs an attacker a restart he cannot cause), and one server process serves a class.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["FAILURES_PER_WINDOW", "MAX_TRACKED", "WINDOW_S", "DoorPolicy"]

#: Failed checks a class tolerates in any window.
FAILURES_PER_WINDOW = 10
#: The window, in seconds.
WINDOW_S = 60.0
#: Classes (real or guessed ids) tracked at once; the oldest is forgotten past this, so a
#: flood of made-up class ids cannot grow the server's memory without bound.
MAX_TRACKED = 10_000


class DoorPolicy:
    """Failed attempts per class in a sliding window, and the credentials seen to work.

    Args:
        limit: failures allowed in a window.
        window: the window's length in seconds.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        limit: int = FAILURES_PER_WINDOW,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._good: set[bytes] = set()
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()

    def _digest(self, class_key: str, credential: str) -> bytes:
        return hmac.new(self._key, f"{class_key}\x00{credential}".encode(), hashlib.sha256).digest()

    def _recent(self, class_key: str, now: float) -> deque[float]:
        times = self._failures.get(class_key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[class_key]
        return times

    def wait_seconds(self, class_key: str, credential: str) -> float:
        """0 when the store may check this credential now; else seconds until it may."""
        now = self._clock()
        with self._lock:
            times = self._recent(class_key, now)
            if len(times) < self.limit or self._digest(class_key, credential) in self._good:
                return 0.0
            return max(times[-self.limit] + self.window - now, 0.001)

    def failed(self, class_key: str) -> None:
        """Count one refused credential against the class."""
        now = self._clock()
        with self._lock:
            times = self._recent(class_key, now)
            times.append(now)
            self._failures[class_key] = times
            self._failures.move_to_end(class_key)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)

    def passed(self, class_key: str, credential: str) -> None:
        """Remember a credential the store accepted, so a flood of guesses cannot lock it out."""
        with self._lock:
            if len(self._good) < 100 * MAX_TRACKED:
                self._good.add(self._digest(class_key, credential))
