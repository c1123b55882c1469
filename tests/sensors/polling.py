"""Drive a trigger's run() loop poll by poll, without wall-clock waits (nothing here is timed)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


async def first_event(trigger: Any, timeout: float = 60) -> Any:
    """The trigger's first event (the timeout only guards against a hang; no test waits on it)."""
    agen = trigger.run()
    try:
        return await asyncio.wait_for(agen.__anext__(), timeout)
    finally:
        await agen.aclose()


class Stop(Exception):
    """Raised by the poll clock to end a trigger that has not fired."""


class PollClock:
    """Stands in for the trigger's `asyncio.sleep` between polls: counts polls, runs an action after a
    given poll, and can stop the trigger after N polls. No wall-clock waiting, so nothing is timed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.polls = 0
        self.after: dict[int, Any] = {}
        self.stop_after: int | None = None
        real_sleep = asyncio.sleep

        async def sleep(_seconds: float, *args: Any) -> None:
            self.polls += 1
            if self.polls in self.after:
                self.after[self.polls]()
            if self.stop_after is not None and self.polls >= self.stop_after:
                raise Stop
            await real_sleep(0)

        monkeypatch.setattr(asyncio, "sleep", sleep)
