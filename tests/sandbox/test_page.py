"""The sandbox page's API over a real emulator: what a person may send, and what it refuses."""

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from emulator import BotApiEmulator
from sandbox.page import OWNER_ID, Page


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient, BotApiEmulator]]:
    emulator = BotApiEmulator()
    await emulator.start()
    resets: list[bool] = []

    async def reset() -> None:
        resets.append(True)

    async with TestClient(TestServer(Page(emulator, reset).app())) as http:
        yield http, emulator
    await emulator.stop()


async def test_page_a_message_typed_becomes_an_update_from_that_person(
    client: tuple[TestClient, BotApiEmulator],
) -> None:
    http, emulator = client
    assert (await http.post("/api/people/1002", json={"name": "Борис <b>&", "language": "ru"})).status == 200
    assert (await http.post("/api/chats/1002/messages", json={"text": "/start"})).status == 204
    [update] = emulator.updates
    sender = update["message"]["from"]
    assert (sender["id"], sender["first_name"], sender["language_code"]) == (1002, "Борис <b>&", "ru")
    chat = await (await http.get("/api/chats/1002")).json()
    assert chat["messages"] == [
        {"id": update["message"]["message_id"], "from": "user", "html": "/start", "buttons": []}
    ]


async def test_page_shows_what_the_bot_sent_as_safe_html_with_its_keyboards(
    client: tuple[TestClient, BotApiEmulator],
) -> None:
    http, emulator = client
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a:1"}]]}'
    await emulator._api_sendMessage(
        {"chat_id": "1001", "text": "<b>Hi</b> &lt;script&gt;", "parse_mode": "HTML", "reply_markup": markup}
    )
    await emulator._api_sendMessage(
        {"chat_id": "1001", "text": "menu", "reply_markup": '{"keyboard": [[{"text": "📅 Book"}]]}'}
    )
    chat = await (await http.get("/api/chats/1001")).json()
    assert chat["messages"][0]["html"] == "<b>Hi</b> &lt;script&gt;"
    assert chat["messages"][0]["buttons"] == [[{"text": "A", "data": "a:1"}]]
    assert chat["keyboard"] == [["📅 Book"]]

    message_id = chat["messages"][0]["id"]
    clicked = await http.post("/api/chats/1001/clicks", json={"message_id": message_id, "data": "a:1"})
    assert clicked.status == 200
    assert emulator.updates[-1]["callback_query"]["data"] == "a:1"
    forged = await http.post("/api/chats/1001/clicks", json={"message_id": message_id, "data": "a:2"})
    assert forged.status == 400, "only the buttons the bot sent can be pressed"
    other = await http.post(f"/api/chats/{OWNER_ID}/clicks", json={"message_id": message_id, "data": "a:1"})
    assert other.status == 400, "nor someone else's"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/chats/42/messages", {"text": "hi"}, 404),
        ("get", "/api/chats/abc", None, 404),
        ("post", "/api/chats/1001/messages", {"text": ""}, 400),
        ("post", "/api/chats/1001/messages", {"text": "x" * 4097}, 400),
        ("post", "/api/chats/1001/messages", ["not", "an", "object"], 400),
        ("post", "/api/people/1001", {"language": "de"}, 400),
        ("get", "/files/1001/5", None, 404),
        ("get", "/static/../page.py", None, 404),
    ],
)
async def test_page_refuses_what_no_person_could_do(
    client: tuple[TestClient, BotApiEmulator], method: str, path: str, body: object, status: int
) -> None:
    http, emulator = client
    response = await getattr(http, method)(path, json=body) if body is not None else await getattr(http, method)(path)
    assert response.status == status
    assert emulator.updates == []


async def test_page_refuses_posts_from_another_site(client: tuple[TestClient, BotApiEmulator]) -> None:
    http, emulator = client
    response = await http.post("/api/chats/1001/messages", json={"text": "hi"}, headers={"Origin": "https://evil.test"})
    assert response.status == 403
    assert emulator.updates == []
