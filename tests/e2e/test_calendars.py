"""Calendars over real HTTP: the client's .ics file through the stand-in, and a feed from the bot's web server."""

import re

import aiohttp
from icalendar import Calendar

from emulator import BotApiEmulator
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import book
from tests.ports import free_port

OWNER = 9001


async def test_calendars_the_booking_file_and_the_business_feed_parse(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = {"ADMIN_IDS": str(OWNER), "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "PUBLIC_URL": public}
    await bot_factory(**env, BUSINESS_ADDRESS="Main St. 1").start()
    client = stub.user(2201, "Client")
    flow, start = await book(stub, client)
    client.click(flow, "Add to calendar")
    sent = await stub.wait_for(lambda: next((f for f in stub.files if f.chat_id == client.id), None), what="the file")
    (event,) = Calendar.from_ical(sent.content).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert str(event["location"]) == "Main St. 1"

    owner = stub.user(OWNER, "Owner")
    owner.send("/calendar_add")
    added = await owner.wait_message("/calendar/")
    url = re.search(r"http://\S+\.ics", added.text)
    assert url is not None
    assert url.group().startswith(public)
    async with aiohttp.ClientSession() as http, http.get(url.group()) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        feed = Calendar.from_ical(await response.read())
    (listed,) = feed.walk("VEVENT")
    assert str(listed["uid"]) == str(event["uid"]), "the same event in the client's file and the staff's feed"
    assert "Client" in str(listed["summary"])
    async with aiohttp.ClientSession() as http, http.get(f"{public}/calendar/{'x' * 32}.ics") as response:
        assert response.status == 404
    assert not stub.errors, stub.errors
