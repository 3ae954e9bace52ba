import asyncio
from datetime import timedelta

from aiogram.fsm.storage.base import StorageKey

from bot.fsm_memory import ExpiringMemoryStorage, PerUserLocks


def key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_fsm_memory_keeps_nothing_for_users_without_a_conversation() -> None:
    storage, isolation = ExpiringMemoryStorage(timedelta(days=1)), PerUserLocks()
    for user_id in range(10_000):  # what aiogram's FSM middleware does for every update
        async with isolation.lock(key(user_id)):
            assert await storage.get_state(key(user_id)) is None
            assert await storage.get_data(key(user_id)) == {}
    await storage.set_state(key(1), "Question:pending")
    await storage.set_data(key(2), {"booking_id": 5})
    await storage.set_state(key(2), None)
    assert set(storage.records) == {key(1), key(2)}
    await storage.set_state(key(1), None)
    await storage.set_data(key(2), {})
    assert storage.records == {}
    assert isolation.turns == {}


async def test_fsm_memory_forgets_a_conversation_a_ttl_after_its_last_change() -> None:
    now = [1000.0]
    storage = ExpiringMemoryStorage(timedelta(hours=1), clock=lambda: now[0])
    await storage.set_state(key(1), "Question:pending")
    await storage.set_state(key(2), "Question:pending")
    now[0] += 1800
    await storage.set_data(key(1), {"asked_at": 1})  # a change renews the record
    now[0] += 1801
    assert await storage.get_state(key(1)) == "Question:pending"
    assert key(2) in storage.records, "not purged yet: no read or write since"
    await storage.set_state(key(3), "Question:pending")  # a write purges whatever has expired
    assert set(storage.records) == {key(1), key(3)}
    now[0] += 3601
    assert await storage.get_state(key(1)) is None
    assert await storage.get_data(key(1)) == {}


async def test_fsm_memory_locks_serialise_a_users_updates_and_vanish_after() -> None:
    isolation = PerUserLocks()
    order: list[str] = []

    async def update(name: str, hold: asyncio.Event | None) -> None:
        async with isolation.lock(key(1)):
            order.append(f"{name} in")
            if hold is not None:
                await hold.wait()
            order.append(f"{name} out")

    release = asyncio.Event()
    first = asyncio.create_task(update("first", release))
    await asyncio.sleep(0)
    second = asyncio.create_task(update("second", None))
    await asyncio.sleep(0)
    assert isolation.turns[key(1)].holders == 2
    release.set()
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]
    assert isolation.turns == {}


async def test_fsm_memory_locks_closed_while_an_update_holds_one() -> None:
    isolation = PerUserLocks()
    async with isolation.lock(key(1)):
        await isolation.close()  # shutdown while the update is still being handled
    assert isolation.turns == {}
