"""Forged and stale buttons: whatever the callback data, a polite answer, and no error in the log."""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import callbacks
from database.engine import commit
from database.models import BlockedPeriod, Booking, Service, User, utcnow
from emulator import BotApiEmulator
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat, open_chat

CLIENT = 9100
PREFIXES = sorted(kind.__prefix__ for kind in CallbackData.__subclasses__() if kind.__module__ == callbacks.__name__)
EDGES = ["", "0", "1", "2", "-1", "2147483647", "2147483648", "99999999999", "99999999999999999999", "1e3", "nan"]
DAYS = ["20261231", "19000101", "21991231", "00010101", "99991231", "20260230", "2026123", "today"]
FIELD = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(EDGES + DAYS + ["services", "dates", "true", "False", "broadcast", "jobs"]),
    st.text(max_size=8),
)
FORGED = st.builds(
    lambda prefix, parts: ":".join([prefix, *parts]), st.sampled_from(PREFIXES), st.lists(FIELD, max_size=5)
)


async def seed(chat: Chat) -> None:
    """A client with a future and a past booking, a block and a hidden service: some forged ids find rows."""
    async with chat.sessionmaker() as session:
        session.add(User(id=CLIENT, first_name="Client", language="en"))
        session.add(Service(name="Hidden", duration_minutes=30, is_active=False))
        for starts_in in (timedelta(days=2), -timedelta(days=2)):
            start = utcnow().replace(second=0, microsecond=0) + starts_in
            session.add(
                Booking(
                    specialist_id=FIRST_SPECIALIST,
                    user_id=CLIENT,
                    service_id=1,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                )
            )
        block_start = utcnow() + timedelta(days=5)
        session.add(BlockedPeriod(starts_at=block_start, ends_at=block_start + timedelta(hours=2), reason="<b>&"))
        await commit(session)


def test_forged_callback_data_of_every_kind_gets_an_answer_and_logs_no_error(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with asyncio.Runner() as runner:
        stub = BotApiEmulator()
        runner.run(stub.start())
        opened = open_chat(stub, database_url)
        chat = runner.run(anext(opened))
        try:
            runner.run(seed(chat))
            owner, client = stub.user(OWNER, "Owner"), stub.user(CLIENT, "Client")

            async def act(action: Callable[[], object]) -> object:
                """The stand-in's users act inside the event loop, as in the other tests."""
                result = action()
                await chat.process()
                return result

            for user in (owner, client):
                runner.run(act(lambda user=user: user.send("/start")))

            @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(data=FORGED, as_owner=st.booleans())
            @example(data="cx:99999999999", as_owner=False)  # the reported cases: int32 overflow on PostgreSQL,
            @example(data="cx:99999999999999999999", as_owner=False)  # int64 overflow on SQLite
            @example(data="rate:99999999999999999999:5", as_owner=False)
            @example(data="acd:99999999999:99999999999", as_owner=True)
            @example(data="spc:0:0:0:0", as_owner=False)  # a flow step naming no service (found by this test)
            @example(data="mon:0:202612:0:0:0", as_owner=False)
            @example(data="stc:0", as_owner=True)  # a missing specialist's card was answered twice (found by this test)
            def click(data: str, as_owner: bool) -> None:
                user = owner if as_owner else client
                caplog.clear()
                with caplog.at_level(logging.WARNING):
                    query = runner.run(act(lambda: user.click_data(user.messages()[-1], data)))
                assert query in stub.callback_answers, f"{data!r} got no answer"
                failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
                assert not failures, f"{data!r}: {[r.getMessage() for r in failures]}"
                assert not stub.errors, f"{data!r}: {stub.errors}"

            click()
        finally:
            runner.run(opened.aclose())
            runner.run(stub.stop())
