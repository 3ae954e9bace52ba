"""Several bot processes on one PostgreSQL database: one scheduler among them, taken over when it dies.

Each process polls its own Bot API stand-in (two processes polling one token would get 409 Conflict);
messages are counted across both.
"""

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emulator import BotApiEmulator
from tests.e2e.bot_process import BotProcess
from tests.e2e.helpers import book, seed_bookings

LEADER = "This process now runs the scheduler"
REPLICA_ENV = {
    "SLOT_MINUTES": "1",
    "BOOKING_MIN_LEAD": "0s",
    "CANCEL_CUTOFF": "0s",
    "REMINDERS": "40s,10s",
    "FEEDBACK_AFTER": "1d",
}


@asynccontextmanager
async def two_processes(
    tmp_path: Path, env: dict[str, str], *, flood_limits: bool = False
) -> AsyncIterator[list[BotProcess]]:
    """Two bot processes on one database, each polling its own stand-in; killed and logged at the end."""
    stubs = [BotApiEmulator(flood_limits=flood_limits), BotApiEmulator(flood_limits=flood_limits)]
    for stub in stubs:
        await stub.start()
    processes = [BotProcess(stub, tmp_path / name, env) for stub, name in zip(stubs, ("a", "b"), strict=True)]
    try:
        for process in processes:
            process.workdir.mkdir()
            await process.start()
        yield processes
    finally:
        for process in processes:
            if process.process is not None:
                await process.kill()
        for process in processes:
            print(process.logs())
        for stub in stubs:
            await stub.stop()


def leads(process: BotProcess) -> bool:
    return process.log_path.exists() and LEADER in process.log_path.read_text()


@pytest.mark.timeout(300)
async def test_replicas_run_one_scheduler_and_take_over_exactly_once(postgres_url: str, tmp_path: Path) -> None:
    async with two_processes(tmp_path, {"DATABASE_URL": postgres_url, **REPLICA_ENV}) as processes:
        stubs = [process.stub for process in processes]
        await stubs[0].wait_for(lambda: any(leads(p) for p in processes), timeout=15, what="a leader")
        leader = next(p for p in processes if leads(p))
        follower = next(p for p in processes if p is not leader)
        assert not leads(follower), "exactly one process runs the scheduler"

        # Booked through the process that does not run the scheduler: the leader must learn of the job.
        client = follower.stub.user(7001, "Replica client")
        _, start = await book(follower.stub, client, after=datetime.now(UTC) + timedelta(seconds=55))

        def reminders() -> list[float]:
            return [m.sent_at for stub in stubs for m in stub.messages_to(client.id) if "Reminder" in m.text]

        first = await leader.stub.wait_for(reminders, timeout=90, what="the first reminder, from the leader")
        assert first[0] - (start - timedelta(seconds=40)).timestamp() < 2.5, "on time despite a foreign job"

        killed_at = time.monotonic()
        await leader.kill()
        await follower.stub.wait_for(lambda: leads(follower), timeout=15, what="the takeover")
        takeover = time.monotonic() - killed_at
        print(f"takeover after SIGKILL: {takeover:.2f}s")

        await follower.stub.wait_for(lambda: len(reminders()) >= 2, timeout=60, what="the second reminder")
        second = reminders()[1]
        assert second - (start - timedelta(seconds=10)).timestamp() < 2.5
        # Once the appointment has started nothing more may be sent: then count.
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 1)
        assert len(reminders()) == 2, "each reminder exactly once across both processes"
        assert takeover < 15


async def test_replicas_share_conversation_state_through_redis(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "ADMIN_IDS": "9901"}
    async with two_processes(tmp_path, env) as processes:
        on_a, on_b = processes[0].stub.user(9901, "Owner"), processes[1].stub.user(9901, "Owner")
        on_a.send("/start")
        await on_a.wait_message("Hello, Owner")
        on_a.send("/broadcast")
        await on_a.wait_message("Send me the message")
        on_b.send("Tomorrow we open at noon")  # the next update reaches the other process
        await on_b.wait_message("Recipients: 0")
        assert "Conversation state in Redis" in processes[1].log_path.read_text()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("moment", ["between_sends", "during_a_send"])
async def test_replicas_sigkill_mid_sweep_each_reminder_goes_out_once(
    postgres_url: str, tmp_path: Path, moment: str
) -> None:
    """`during_a_send`: Telegram has accepted a message and not answered yet when the process dies.

    That message is in doubt: Telegram offers no way to ask whether it went out, so it is sent again once
    its claim expires (a late duplicate rather than a lost reminder). Nothing else may arrive twice.
    """
    clients = range(70_000, 70_400)
    soon = datetime.now(UTC) + timedelta(minutes=30)  # each owed its 2h reminder: the bot was down
    await seed_bookings(postgres_url, {client: soon + timedelta(seconds=5 * n) for n, client in enumerate(clients)})
    env = {"DATABASE_URL": postgres_url, "REMINDERS": "2h", "FEEDBACK_AFTER": "1d", "CLAIM_TIMEOUT": "5s"}
    async with two_processes(tmp_path, env, flood_limits=True) as processes:
        stubs = [process.stub for process in processes]
        await stubs[0].wait_for(lambda: any(leads(p) for p in processes), timeout=15, what="a leader")
        leader = next(p for p in processes if leads(p))
        standby = next(p for p in processes if p is not leader)

        def received() -> Counter[int]:
            return Counter(m.chat_id for stub in stubs for m in stub.sent if "Reminder" in m.text)

        await leader.stub.wait_for(lambda: sum(received().values()) >= 100, timeout=60, what="a quarter sent")
        if moment == "during_a_send":
            leader.stub.hold("sendMessage")
            await leader.stub.wait_for(lambda: leader.stub.held, what="a send in flight")
        killed_at = time.monotonic()
        await leader.kill()
        before_kill = sum(received().values())
        assert before_kill < len(clients), "the kill landed mid-sweep"

        await standby.stub.wait_for(lambda: leads(standby), timeout=15, what="the takeover")
        takeover = time.monotonic() - killed_at
        await standby.stub.wait_for(lambda: set(received()) == set(clients), timeout=90, what="every client's reminder")
        finished = time.monotonic() - killed_at
        log = standby.log_path.read_text()
        in_doubt_line = re.search(r"(\d+) messages were being sent when their sender stopped", log)
        in_doubt = int(in_doubt_line[1]) if in_doubt_line else 0
        if in_doubt:
            await standby.stub.wait_for(lambda: "Sweep in_doubt done" in standby.log_path.read_text(), timeout=30)

        counts = received()
        duplicates = sum(counts.values()) - len(counts)
        print(
            f"SIGKILL mid-sweep: expected {len(clients)}, delivered {len(counts)} "
            f"({before_kill} before the kill), duplicates {duplicates}, in doubt {in_doubt}; "
            f"takeover {takeover:.2f}s, all delivered {finished:.1f}s after the kill"
        )
        assert set(counts) == set(clients), "expected = delivered"
        assert duplicates <= in_doubt, "only a message on its way to Telegram at the kill may arrive twice"
        if moment == "during_a_send":
            assert in_doubt >= 1
        assert takeover < 15
        assert {code for stub in stubs for _, code, _ in stub.errors} <= {429}
