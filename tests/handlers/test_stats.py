"""/stats: the figures at once; the chart follows without holding up the admin's next message."""

import asyncio

from services import runtime
from tests.conftest import eventually
from tests.handlers.conftest import OWNER, Chat
from tests.telegram_stub import TelegramStub


async def test_stats_figures_come_first_and_the_chart_does_not_hold_up_the_next_message(
    chat: Chat, stub: TelegramStub
) -> None:
    chart_sent = stub.hold("sendPhoto")
    owner = stub.user(OWNER, "Owner")
    owner.send("/stats")
    await asyncio.wait_for(chat.process(), 10)
    assert owner.messages()[-1].text.startswith("Statistics"), owner.messages()[-1].text
    owner.send("/help")
    await asyncio.wait_for(chat.process(), 10)  # the update of /stats is over, though Telegram has the chart still
    assert "How it works" in owner.messages()[-1].text
    await stub.wait_for(lambda: stub.held == 1, what="the chart on its way")
    chart_sent.set()
    await eventually(lambda: not runtime.current().in_flight, what="the chart sent")
    assert [f.kind for f in stub.files] == ["photo"]
    assert not stub.errors, stub.errors
