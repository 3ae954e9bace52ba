"""The sandbox's web page and its small JSON API over the emulator: who you are, what the bot sent you, what you
type and click, and a stream of server-sent events so that what the bot sends later (a reminder) appears live."""

import asyncio
import contextlib
import json
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from emulator import BotApiEmulator, EmulatedUser, SentFile, SentMessage, render_html

OWNER_ID = 1000
HEARTBEAT_SECONDS = 15
RECONNECT_MS = 500
MAX_TEXT = 4096  # what a person may type, as in Telegram
STATIC = resources.files("sandbox") / "static"


@dataclass
class Person:
    id: int
    name: str
    role: str  # "client" | "owner"
    language: str  # "en" | "ru"


def people() -> dict[int, Person]:
    return {
        person.id: person
        for person in (
            Person(1001, "Anna", "client", "en"),
            Person(1002, "Борис", "client", "ru"),
            Person(OWNER_ID, "Olga", "owner", "en"),
        )
    }


class Page:
    """The page's state: the people (their names and languages can be changed) and the open event streams."""

    def __init__(self, emulator: BotApiEmulator, reset: Callable[[], None]) -> None:
        self.emulator = emulator
        self.request_reset = reset
        self.people = people()
        self.streams: set[asyncio.Queue[str]] = set()
        emulator.listen(self._changed)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[same_origin], client_max_size=64 * 1024)
        app.router.add_get("/", self.index)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/people", self.list_people)
        app.router.add_post("/api/people/{person}", self.change_person)
        app.router.add_get("/api/chats/{person}", self.chat)
        app.router.add_post("/api/chats/{person}/messages", self.send)
        app.router.add_post("/api/chats/{person}/clicks", self.click)
        app.router.add_get("/api/events", self.events)
        app.router.add_get("/files/{person}/{message}", self.file)
        app.router.add_post("/api/reset", self.reset)
        return app

    async def index(self, _: web.Request) -> web.Response:
        return web.Response(text=(STATIC / "index.html").read_text(encoding="utf-8"), content_type="text/html")

    async def static(self, request: web.Request) -> web.Response:
        types = {"app.js": "text/javascript", "style.css": "text/css"}
        name = request.match_info["name"]
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(text=(STATIC / name).read_text(encoding="utf-8"), content_type=types[name], charset="utf-8")

    async def list_people(self, _: web.Request) -> web.Response:
        return web.json_response([asdict(person) for person in self.people.values()])

    async def change_person(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await _json(request)
        name = str(body.get("name", person.name)).strip()
        language = body.get("language", person.language)
        if not 1 <= len(name) <= 64 or language not in ("en", "ru"):
            raise web.HTTPBadRequest(text="a name of 1 to 64 characters and a language, en or ru")
        person.name, person.language = name, language
        return web.json_response(asdict(person))

    async def chat(self, request: web.Request) -> web.Response:
        person = self._person(request)
        return web.json_response({"messages": self._timeline(person.id), "keyboard": self._keyboard(person.id)})

    async def send(self, request: web.Request) -> web.Response:
        person = self._person(request)
        text = str((await _json(request)).get("text", "")).strip()
        if not 1 <= len(text) <= MAX_TEXT:
            raise web.HTTPBadRequest(text=f"a message of 1 to {MAX_TEXT} characters")
        self._user(person).send(text)
        return web.Response(status=204)

    async def click(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await _json(request)
        message = next(
            (m for m in self.emulator.messages_to(person.id) if m.message_id == body.get("message_id")), None
        )
        data = body.get("data")
        if message is None or not any(button.get("callback_data") == data for button in message.buttons()):
            raise web.HTTPBadRequest(text="no such button on that message")
        return web.json_response({"query_id": self._user(person).click_data(message, str(data))})

    async def file(self, request: web.Request) -> web.Response:
        person = self._person(request)
        wanted = request.match_info["message"]
        sent = next((f for f in self.emulator.files if f.chat_id == person.id and str(f.message_id) == wanted), None)
        if sent is None:
            raise web.HTTPNotFound()
        disposition = "inline" if sent.kind == "photo" else "attachment"
        return web.Response(
            body=sent.content,
            content_type=_content_type(sent.filename),
            headers={"Content-Disposition": f'{disposition}; filename="{_ascii(sent.filename)}"'},
        )

    async def reset(self, _: web.Request) -> web.Response:
        """The sandbox starts again on an empty database; open pages reconnect to it by themselves."""
        self.request_reset()
        return web.Response(status=202)

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        await response.write(f"retry: {RECONNECT_MS}\n\n".encode())  # after a reset: back as soon as it is
        async with self._stream() as queue:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    event = ": still here\n\n"
                try:
                    await response.write(event.encode())
                except ConnectionResetError:
                    break
        return response

    @contextlib.asynccontextmanager
    async def _stream(self) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.streams.add(queue)
        try:
            yield queue
        finally:
            self.streams.discard(queue)

    def _changed(self, kind: str, chat_id: int, item: Any) -> None:
        if chat_id not in self.people:
            return
        if kind == "answer":
            self._broadcast("answer", {"chat": chat_id, "text": item["text"], "alert": item["show_alert"]})
            return
        if isinstance(item, SentMessage):
            view = _bot_message(item)
        elif isinstance(item, SentFile):
            view = _file_message(item)
        else:
            view = _user_message(item)
        self._broadcast("message", {"chat": chat_id, "message": view, "keyboard": self._keyboard(chat_id)})

    def _broadcast(self, event: str, data: dict[str, Any]) -> None:
        line = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        for queue in self.streams:
            queue.put_nowait(line)

    def _timeline(self, chat_id: int) -> list[dict[str, Any]]:
        views = [_bot_message(message) for message in self.emulator.messages_to(chat_id)]
        views += [_file_message(sent) for sent in self.emulator.files if sent.chat_id == chat_id]
        views += [_user_message(m) for (user, _), m in self.emulator.user_messages.items() if user == chat_id]
        return sorted(views, key=lambda view: view["id"])

    def _keyboard(self, chat_id: int) -> list[list[str]] | None:
        """The reply keyboard the bot last set for this chat, if it was not removed."""
        for message in reversed(self.emulator.messages_to(chat_id)):
            markup = message.markup or {}
            if "keyboard" in markup:
                return [[button["text"] for button in row] for row in markup["keyboard"]]
            if markup.get("remove_keyboard"):
                return None
        return None

    def _person(self, request: web.Request) -> Person:
        person = self.people.get(int(request.match_info["person"])) if request.match_info["person"].isdigit() else None
        if person is None:
            raise web.HTTPNotFound()
        return person

    def _user(self, person: Person) -> EmulatedUser:
        return self.emulator.user(person.id, person.name, person.language)


async def start(page: Page, host: str, port: int) -> web.AppRunner:
    # Event streams stay open: a short shutdown timeout, or stopping would wait for every open page.
    runner = web.AppRunner(page.app(), access_log=None, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


@web.middleware
async def same_origin(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    """Another site's page open in the same browser cannot post to the sandbox."""
    origin = request.headers.get("Origin")
    if request.method == "POST" and origin is not None and origin.split("://", 1)[-1] != request.host:
        raise web.HTTPForbidden(text="cross-origin requests are refused")
    return await handler(request)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="a JSON object is expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return body


def _bot_message(message: SentMessage) -> dict[str, Any]:
    rows = (message.markup or {}).get("inline_keyboard", [])
    return {
        "id": message.message_id,
        "from": "bot",
        "html": render_html(message.html) if message.formatted else escape(message.text, quote=False),
        "buttons": [[_button(button) for button in row] for row in rows],
        "edited": message.edits > 0,
    }


def _button(button: dict[str, Any]) -> dict[str, str]:
    shown = {"text": button["text"]}
    if "callback_data" in button:
        shown["data"] = button["callback_data"]
    elif str(button.get("url", "")).startswith(("http://", "https://")):
        shown["url"] = button["url"]
    return shown


def _file_message(sent: SentFile) -> dict[str, Any]:
    return {
        "id": sent.message_id,
        "from": "bot",
        "html": escape(sent.caption, quote=False),
        "buttons": [],
        "file": {"url": f"/files/{sent.chat_id}/{sent.message_id}", "name": sent.filename, "kind": sent.kind},
    }


def _user_message(message: dict[str, Any]) -> dict[str, Any]:
    text = message.get("text") or message.get("caption") or ""
    return {"id": message["message_id"], "from": "user", "html": escape(text, quote=False), "buttons": []}


def _content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _ascii(filename: str) -> str:
    return "".join(c for c in filename if c.isascii() and c not in '"\\\r\n') or "file"
