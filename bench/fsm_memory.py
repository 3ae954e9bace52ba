"""Memory held by conversation state (no REDIS_URL) after N distinct users each sent one update.

`python -m bench.fsm_memory KIND USERS` prints {"kind", "users", "rss_growth_bytes", "records"} as JSON, in a
fresh process so that RSS speaks of this store alone. Per update, the calls aiogram's FSM middleware makes:
the user's lock from the event isolation, held while the state is read.
"""

import asyncio
import gc
import json
import sys
from datetime import timedelta

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

from bot.fsm_memory import ExpiringMemoryStorage, PerUserLocks

KINDS = ("aiogram", "bounded")


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _measure(kind: str, users: int) -> dict[str, object]:
    storage: BaseStorage
    isolation: BaseEventIsolation
    if kind == "aiogram":
        storage, isolation = MemoryStorage(), SimpleEventIsolation()
    else:
        storage, isolation = ExpiringMemoryStorage(timedelta(days=1)), PerUserLocks()
    gc.collect()
    before = _rss_bytes()
    for user_id in range(1, users + 1):
        key = StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)
        async with isolation.lock(key):
            await storage.get_state(key)
    gc.collect()
    records = len(storage.storage) if isinstance(storage, MemoryStorage) else len(storage.records)  # type: ignore[attr-defined]
    return {"kind": kind, "users": users, "rss_growth_bytes": _rss_bytes() - before, "records": records}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_measure(sys.argv[1], int(sys.argv[2])))))
