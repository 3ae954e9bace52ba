"""Broadcasts: one admin message copied to every client who has not blocked the bot.

Each recipient has a row keyed by (broadcast, user) that moves pending → sending → sent / blocked /
failed, claimed in its own committed transaction before the copy is sent. A restart resumes with the
pending rows. A row still `sending` after a crash is uncertain — Telegram offers no way to ask whether
the copy went out — so it is never sent again (nobody gets the broadcast twice) and is reported as
unknown; at most one per worker per crash.
"""

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import ColumnElement, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from database.engine import after_commit, commit
from database.models import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryState, User, utcnow
from database.repositories import Users
from services import runtime
from services.delivery import DeliveryStatus, deliver, deliver_copy
from services.messages import Tally

log = logging.getLogger(__name__)

WORKERS = 4
PROGRESS_EVERY_SECONDS = 2.0


def _recipients(admin_id: int) -> ColumnElement[bool]:
    return User.blocked_bot.is_(False) & (User.id != admin_id)


async def create_draft(session: AsyncSession, admin_id: int, chat_id: int, message_id: int) -> tuple[Broadcast, int]:
    broadcast = Broadcast(admin_id=admin_id, source_chat_id=chat_id, source_message_id=message_id)
    session.add(broadcast)
    await session.flush()
    recipients = await session.scalar(select(func.count(User.id)).where(_recipients(admin_id))) or 0
    return broadcast, recipients


async def drop(session: AsyncSession, broadcast_id: int, admin_id: int) -> bool:
    dropped = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.admin_id == admin_id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=BroadcastStatus.DROPPED, finished_at=utcnow())
    )
    return bool(getattr(dropped, "rowcount", 0))


async def start(session: AsyncSession, broadcast_id: int, admin_id: int) -> Broadcast | None:
    """Draft → running, with every current recipient queued. None if it was not a draft (a double click)."""
    claimed = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.admin_id == admin_id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=BroadcastStatus.RUNNING, started_at=utcnow())
    )
    if not getattr(claimed, "rowcount", 0):
        return None
    await session.execute(
        insert(BroadcastDelivery).from_select(
            ["broadcast_id", "user_id", "state"],
            select(literal(broadcast_id), User.id, literal(DeliveryState.PENDING.value)).where(_recipients(admin_id)),
        )
    )
    broadcast = await session.get(Broadcast, broadcast_id)
    assert broadcast is not None
    broadcast.total = (
        await session.scalar(select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast_id)) or 0
    )
    await session.flush()
    after_commit(session, lambda: runtime.current().jobs.run_broadcast(broadcast_id))
    return broadcast


async def tally(session: AsyncSession, broadcast_id: int) -> Tally:
    rows = await session.execute(
        select(BroadcastDelivery.state, func.count())
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(BroadcastDelivery.state)
    )
    counts = {DeliveryState(state): count for state, count in rows.all()}
    return Tally(
        total=sum(counts.values()),
        sent=counts.get(DeliveryState.SENT, 0),
        blocked=counts.get(DeliveryState.BLOCKED, 0),
        failed=counts.get(DeliveryState.FAILED, 0),
        unknown=counts.get(DeliveryState.UNKNOWN, 0),
        pending=counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0),
    )


async def running_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Broadcast.id).where(Broadcast.status == BroadcastStatus.RUNNING)))


async def run_broadcast(broadcast_id: int) -> None:
    """The scheduler job: send what is pending, report progress, finish. Safe to run again after a crash.

    On shutdown it stops taking new recipients and lets the copies in flight finish: a deploy leaves
    nothing uncertain, and the next start carries on.
    """
    rt = runtime.current()
    async with rt.tracked():
        await _run(rt, broadcast_id)


async def _run(rt: runtime.Runtime, broadcast_id: int) -> None:
    async with rt.sessionmaker() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.status != BroadcastStatus.RUNNING:
            return
        # Whatever a dead process left mid-send may have gone out: never send it again.
        await session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.state == DeliveryState.SENDING)
            .values(state=DeliveryState.UNKNOWN, updated_at=utcnow())
        )
        admin = await session.get(User, broadcast.admin_id)
        await commit(session)
        source = (broadcast.source_chat_id, broadcast.source_message_id)
        progress = (broadcast.progress_chat_id, broadcast.progress_message_id)

    queue: asyncio.Queue[int] = asyncio.Queue()
    done = asyncio.Event()

    async def feed() -> None:
        async with rt.sessionmaker() as session:
            pending = await session.scalars(
                select(BroadcastDelivery.user_id)
                .where(BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.state == DeliveryState.PENDING)
                .order_by(BroadcastDelivery.user_id)
            )
            for user_id in pending.all():
                queue.put_nowait(user_id)

    async def worker() -> None:
        while not rt.stopping.is_set():
            try:
                user_id = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await _send_one(rt.bot, broadcast_id, user_id, source)

    async def report() -> None:
        last: Tally | None = None
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), PROGRESS_EVERY_SECONDS)
            except TimeoutError:
                last = await _show_progress(rt.bot, broadcast_id, progress, admin, last)

    await feed()
    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
    finally:
        done.set()
        await reporter
    async with rt.sessionmaker() as session:
        final = await tally(session, broadcast_id)
        if final.pending:
            return  # stopped early (shutdown): the next start resumes it
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(status=BroadcastStatus.DONE, finished_at=utcnow())
        )
        await commit(session)
    await _show_progress(rt.bot, broadcast_id, progress, admin, None, final=True)
    await deliver(rt.bot, source[0], rt.composer.broadcast_done(admin, final), limiter=rt.limiter)
    log.info("Broadcast %s finished: %s", broadcast_id, final)


async def _send_one(bot: Bot, broadcast_id: int, user_id: int, source: tuple[int, int]) -> None:
    rt = runtime.current()
    key = (BroadcastDelivery.broadcast_id == broadcast_id) & (BroadcastDelivery.user_id == user_id)
    # The slot first, then the claim: a crash leaves "unknown" only the copies really on their way.
    await rt.limiter.acquire()
    async with rt.sessionmaker() as session:
        claimed = await session.execute(
            update(BroadcastDelivery)
            .where(key, BroadcastDelivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.SENDING, updated_at=utcnow())
        )
        await commit(session)
    if not getattr(claimed, "rowcount", 0):
        return
    delivery = await deliver_copy(bot, user_id, source[0], source[1], limiter=rt.limiter, slot_taken=True)
    state = {
        DeliveryStatus.SENT: DeliveryState.SENT,
        DeliveryStatus.BLOCKED: DeliveryState.BLOCKED,
    }.get(delivery.status, DeliveryState.FAILED)
    async with rt.sessionmaker() as session:
        await session.execute(update(BroadcastDelivery).where(key).values(state=state, updated_at=utcnow()))
        if state is DeliveryState.BLOCKED:
            await Users(session).set_blocked(user_id, True)
        await commit(session)


async def _show_progress(
    bot: Bot,
    broadcast_id: int,
    progress: tuple[int | None, int | None],
    admin: User | None,
    last: Tally | None,
    *,
    final: bool = False,
) -> Tally | None:
    rt = runtime.current()
    async with rt.sessionmaker() as session:
        now = await tally(session, broadcast_id)
    chat_id, message_id = progress
    if chat_id is None or message_id is None or now == last:
        return now
    try:
        await rt.limiter.acquire()
        await bot.edit_message_text(
            rt.composer.broadcast_progress(admin, now, final=final),
            chat_id=chat_id,
            message_id=message_id,
        )
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            log.warning("Could not update broadcast progress: %s", error.message)
    return now
