"""Conversation state in memory, for a bot without Redis, bounded by what is actually going on.

aiogram's MemoryStorage creates a record for every user whose update it is asked about and keeps it
forever, and SimpleEventIsolation keeps a lock per user forever: a bot that has met 100 000 clients
holds 100 000 of each. Here a record exists only while it holds a state or data, and is forgotten `ttl`
after its last change (as Redis forgets it); a user's lock exists only while an update holds or awaits it.
"""

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey


@dataclass(slots=True)
class _Record:
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    expires_at: float = 0.0


class ExpiringMemoryStorage(BaseStorage):
    def __init__(self, ttl: timedelta, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl.total_seconds()
        self.clock = clock
        self.records: dict[StorageKey, _Record] = {}
        self._next_purge = 0.0

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        record = self._live(key) or _Record()
        record.state = state.state if isinstance(state, State) else state
        self._keep(key, record)

    async def get_state(self, key: StorageKey) -> str | None:
        record = self._live(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise DataNotDictLikeError(f"Data must be a dict or dict-like object, got {type(data).__name__}")
        record = self._live(key) or _Record()
        record.data = data.copy()
        self._keep(key, record)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = self._live(key)
        return record.data.copy() if record else {}

    async def close(self) -> None:
        self.records.clear()

    def _live(self, key: StorageKey) -> _Record | None:
        record = self.records.get(key)
        if record is not None and record.expires_at <= self.clock():
            del self.records[key]
            return None
        return record

    def _keep(self, key: StorageKey, record: _Record) -> None:
        now = self.clock()
        if record.state is None and not record.data:
            self.records.pop(key, None)
        else:
            record.expires_at = now + self.ttl
            self.records[key] = record
        if now >= self._next_purge:
            # Conversations nobody came back to: a pass over the pending ones, at most once a minute.
            self._next_purge = now + min(self.ttl, 60.0)
            for stale in [k for k, r in self.records.items() if r.expires_at <= now]:
                del self.records[stale]


@dataclass(slots=True)
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0  # updates holding or awaiting the lock


class PerUserLocks(BaseEventIsolation):
    """One update of a user at a time (double clicks queue up instead of racing)."""

    def __init__(self) -> None:
        self.turns: dict[StorageKey, _Turn] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        turn = self.turns.get(key)
        if turn is None:
            turn = self.turns[key] = _Turn()
        turn.holders += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.holders -= 1
            if turn.holders == 0 and self.turns.get(key) is turn:  # close() may have cleared it meanwhile
                del self.turns[key]

    async def close(self) -> None:
        self.turns.clear()
