"""An emulator of the Telegram Bot API, served over real HTTP on 127.0.0.1.

It answers the methods the bot uses the way Telegram does, including its refusals: 400 for bad HTML
entities, texts over 4096 characters, callback data over 64 bytes, over 100 buttons and "message is not
modified"; 403 for users who blocked the bot; 429 with `retry_after` and 5xx on demand. Its users are played
by tests or by the sandbox's page: they queue updates, which the bot fetches with getUpdates (or which are
posted to its webhook), and read what the bot sent; `listen` tells of every change as it happens.
"""

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape as html_escape
from typing import Any, ClassVar

from aiohttp import ClientSession, web

TOKEN = "123456789:AAHstandInTokenForTestsOnly_0123456"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Booking bot", "username": "booking_test_bot"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*'|=[^\s>]+)?)*)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_BUTTONS = 100
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _chat_of(params: dict[str, Any]) -> int:
    try:
        return int(params.get("chat_id") or 0)
    except ValueError:
        return 0


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: the plain text, or ApiError as Telegram words it."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if not match:
                raise ApiError(400, f"Bad Request: can't parse entities: Unexpected character at byte offset {i}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {i}',
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {i}")
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported entity at byte offset {i}")
            name = match.group(1)
            if name.startswith("#x"):
                out.append(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.append(chr(int(name[1:])))
            else:
                out.append(_ENTITY_TEXT[name])
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"",
        )
    return "".join(out)


_SAFE_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def render_html(text: str) -> str:
    """Telegram's HTML (already accepted by `parse_html`) as HTML a browser shows safely: the text escaped,
    formatting tags kept without attributes, spoilers as a class, links only to http(s) addresses."""
    out: list[str] = []
    closers: list[str] = []
    for kind, value, attributes in _tokens(text):
        if kind == "text":
            out.append(html_escape(value, quote=False))
        elif kind == "close":
            out.append(closers.pop() if closers else "")
        elif value in _SAFE_TAGS:
            out.append(f"<{value}>")
            closers.append(f"</{value}>")
        elif value == "a":
            match = _HREF.search(attributes)
            href = next((group for group in match.groups() if group is not None), "") if match else ""
            href = parse_html(href) if "&" in href else href
            if href.startswith(("http://", "https://")):
                out.append(f'<a href="{html_escape(href)}" rel="noopener noreferrer" target="_blank">')
                closers.append("</a>")
            else:  # tg://user?id=… and the like lead nowhere in a browser
                out.append('<span class="mention">')
                closers.append("</span>")
        elif value in ("tg-spoiler", "span"):
            out.append('<span class="spoiler">' if value == "tg-spoiler" or "tg-spoiler" in attributes else "<span>")
            closers.append("</span>")
        else:
            out.append("<span>")
            closers.append("</span>")
    return "".join(out)


def _tokens(text: str) -> Iterator[tuple[str, str, str]]:
    """("text", characters, ""), ("open", tag, attributes) and ("close", tag, "") of well-formed Telegram HTML."""
    position = 0
    for match in _TAG.finditer(text):
        if match.start() > position:
            yield "text", parse_html(text[position : match.start()]), ""
        closing, name = match.group(1), match.group(2).lower()
        yield ("close" if closing else "open"), name, match.group(3) or ""
        position = match.end()
    if position < len(text):
        yield "text", parse_html(text[position:]), ""


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str  # as the user sees it (entities parsed)
    html: str
    markup: dict[str, Any] | None
    sent_at: float
    edits: int = 0
    copied: bool = False
    formatted: bool = True  # `html` is Telegram HTML (parse_mode HTML), not plain text

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, contains: str) -> dict[str, Any]:
        for button in self.buttons():
            if contains in button["text"]:
                return button
        raise AssertionError(f"no button containing {contains!r} in {[b['text'] for b in self.buttons()]}")

    def as_api(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": BOT_USER,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "client"},
            "date": int(self.sent_at),
            "text": self.text,
        }
        if self.markup and "inline_keyboard" in self.markup:
            message["reply_markup"] = self.markup
        return message


@dataclass
class SentFile:
    chat_id: int
    kind: str  # "document" | "photo"
    filename: str
    content: bytes
    caption: str
    message_id: int = 0


@dataclass
class Fault:
    method: str
    chat_id: int | None
    remaining: int
    code: int
    retry_after: int | None = None


@dataclass
class EmulatedUser:
    stub: "BotApiEmulator"
    id: int
    first_name: str
    language_code: str = "en"
    username: str | None = None

    def as_api(self) -> dict[str, Any]:
        user = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            user["username"] = self.username
        return user

    def send(self, text: str) -> None:
        message: dict[str, Any] = {
            "message_id": next(self.stub._message_ids),
            "from": self.as_api(),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.stub.user_messages[(self.id, message["message_id"])] = message
        self.stub._tell("user", self.id, message)
        self.stub.push_update({"message": message})

    def send_photo(self, caption: str) -> None:
        message = {
            "message_id": next(self.stub._message_ids),
            "from": self.as_api(),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "date": int(time.time()),
            "photo": [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 640, "height": 480}],
            "caption": caption,
        }
        self.stub.user_messages[(self.id, message["message_id"])] = message
        self.stub._tell("user", self.id, message)
        self.stub.push_update({"message": message})

    def send_sticker(self) -> None:
        self.stub.push_update(
            {
                "message": {
                    "message_id": next(self.stub._message_ids),
                    "from": self.as_api(),
                    "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                    "date": int(time.time()),
                    "sticker": {
                        "file_id": "CAACAgIAAxkBAAEstub",
                        "file_unique_id": "AgADstub",
                        "type": "regular",
                        "width": 512,
                        "height": 512,
                        "is_animated": False,
                        "is_video": False,
                    },
                }
            }
        )

    def click(self, message: SentMessage, button_text: str) -> str:
        return self.click_data(message, message.button(button_text)["callback_data"])

    def click_data(self, message: SentMessage, data: str) -> str:
        """Press a button, or forge one: the data need not be on the message."""
        query_id = str(next(self.stub._query_ids))
        self.stub.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.as_api(),
                    "message": message.as_api(),
                    "chat_instance": f"ci{self.id}",
                    "data": data,
                }
            }
        )
        return query_id

    def messages(self) -> list[SentMessage]:
        return self.stub.messages_to(self.id)

    async def wait_message(self, contains: str, *, after: int = 0, timeout: float = 15) -> SentMessage:
        """The first message (sent or edited into shape) to this user with `contains`, after index `after`."""

        def find() -> SentMessage | None:
            return next((m for m in self.messages()[after:] if contains in m.text), None)

        return await self.stub.wait_for(find, timeout=timeout, what=f"a message to {self.id} containing {contains!r}")

    async def wait_answer(self, query_id: str, timeout: float = 15) -> dict[str, Any]:
        return await self.stub.wait_for(
            lambda: self.stub.callback_answers.get(query_id),
            timeout=timeout,
            what=f"answer to callback {query_id}",
        )


@dataclass
class BotApiEmulator:
    token: str = TOKEN
    host: str = "127.0.0.1"
    port: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    files: list[SentFile] = field(default_factory=list)
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[tuple[str, int, str]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    user_messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    flood_limits: bool = False
    conflicts: int = 0
    webhook: tuple[str, str] | None = None  # (url, secret token) once the bot set one
    webhook_statuses: list[int] = field(default_factory=list)
    outage: int | None = None  # while set, every method answers this 5xx status, as Telegram does in incidents
    holds: dict[str, asyncio.Event] = field(default_factory=dict)  # method -> answered only once set
    held: int = 0  # requests accepted and waiting on a hold
    timeline: list[tuple[float, str, int]] = field(default_factory=list)  # (monotonic time, method, chat)
    listeners: list[Callable[[str, int, Any], None]] = field(default_factory=list)  # see `listen`

    # Telegram's flood limits: about 30 messages a second overall, 1 a second per chat.
    GLOBAL_PER_SECOND: ClassVar[int] = 30
    SENDING: ClassVar[frozenset[str]] = frozenset({"sendMessage", "copyMessage", "sendPhoto", "sendDocument"})

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._pending_queries: set[str] = set()
        self._query_chats: dict[str, int] = {}  # a pending callback query's user, to tell whom its answer is for
        self._runner: web.AppRunner | None = None
        self._recent_sends: deque[float] = deque()
        self._polls = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_send_to: dict[int, float] = {}
        self._sent_to: dict[int, list[SentMessage]] = {}

    def listen(self, listener: Callable[[str, int, Any], None]) -> None:
        """Call `listener(kind, chat_id, item)` on every change: "sent" and "edited" (a SentMessage), "file"
        (a SentFile), "user" (the update's message a user sent), "answer" ({"query_id", "text", "show_alert"})."""
        self.listeners.append(listener)

    def _tell(self, kind: str, chat_id: int, item: Any) -> None:
        for listener in self.listeners:
            listener(kind, chat_id, item)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A long poll in progress does not hold up going offline.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def go_offline(self) -> None:
        """Stop listening: the bot's connections are refused, as when Telegram is unreachable."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """Listen again on the same port."""
        await self.start()

    def hold(self, method: str) -> asyncio.Event:
        """Accept calls of `method` but answer only when the returned event is set (a request in flight)."""
        self.holds[method] = asyncio.Event()
        return self.holds[method]

    def user(
        self, user_id: int, first_name: str = "Client", language_code: str = "en", username: str | None = None
    ) -> EmulatedUser:
        return EmulatedUser(self, user_id, first_name, language_code, username)

    def push_update(self, payload: dict[str, Any]) -> None:
        update = {"update_id": next(self._update_ids), **payload}
        if "callback_query" in payload:
            query = payload["callback_query"]
            self._pending_queries.add(query["id"])
            self._query_chats[query["id"]] = query["from"]["id"]
        if self.webhook is not None:
            self._tasks.add(asyncio.get_running_loop().create_task(self._post(update)))
        else:
            self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    async def _post(self, update: dict[str, Any]) -> None:
        """Deliver an update to the webhook as Telegram does, retrying while the bot is not answering."""
        assert self.webhook is not None
        url, secret = self.webhook
        async with ClientSession() as http:
            for _ in range(20):
                try:
                    async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                        self.webhook_statuses.append(response.status)
                        if response.status == 200:
                            break
                except OSError:
                    pass
                await asyncio.sleep(0.25)
        await self._notify()

    def fail(
        self,
        method: str,
        *,
        code: int,
        times: int = 1,
        chat_id: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail with `code`."""
        self.faults.append(Fault(method, chat_id, times, code, retry_after))

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return list(self._sent_to.get(chat_id, ()))

    def _record(self, message: SentMessage) -> None:
        self.sent.append(message)
        # By chat too: waiting users look up their own messages on every change (cheap with hundreds of them).
        self._sent_to.setdefault(message.chat_id, []).append(message)
        self._tell("sent", message.chat_id, message)

    async def wait_for(self, probe: Callable[[], Any], *, timeout: float = 15, what: str = "a condition") -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            while True:
                result = probe()
                if result:
                    return result
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params: dict[str, Any] = dict(await request.post()) if request.method == "POST" else {}
        params.update(request.query)
        self.calls[method] = self.calls.get(method, 0) + 1
        self.timeline.append((time.monotonic(), method, _chat_of(params)))
        handler = getattr(self, f"_api_{method}", None)
        try:
            if self.outage is not None:
                raise ApiError(self.outage, _SERVER_ERRORS.get(self.outage, "Internal Server Error"))
            self._inject_fault(method, params)
            if self.flood_limits and method in self.SENDING:
                self._check_flood(int(params.get("chat_id", 0)))
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            if method in self.holds:
                self.held += 1
                await self._notify()
                await self.holds[method].wait()
        except ApiError as error:
            if method != "getUpdates":
                self.errors.append((method, error.code, error.description))
            else:
                self.conflicts += error.code == 409
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            await self._notify()
            return web.json_response(body, status=error.code)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    def _inject_fault(self, method: str, params: dict[str, Any]) -> None:
        for fault in self.faults:
            if fault.method != method or fault.remaining <= 0:
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(params.get("chat_id")):
                continue
            fault.remaining -= 1
            if fault.code == 429:
                raise ApiError(429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after or 1)
            raise ApiError(fault.code, _SERVER_ERRORS.get(fault.code, "Error"))

    def _check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] > 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.GLOBAL_PER_SECOND:
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        if now - self._last_send_to.get(chat_id, -10.0) < 1.0:
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        self._recent_sends.append(now)
        self._last_send_to[chat_id] = now

    async def _api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        source = self.user_messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        text = source.get("text") or source.get("caption") or ""
        copy = SentMessage(chat_id, next(self._message_ids), text, text, None, time.time(), formatted=False)
        copy.copied = True
        self._record(copy)
        return {"message_id": copy.message_id}

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = (params["url"], params.get("secret_token", ""))
        pending, self.updates = self.updates, []
        if str(params.get("drop_pending_updates", "")).lower() != "true":
            for update in pending:
                self._tasks.add(asyncio.get_running_loop().create_task(self._post(update)))
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)  # short polls keep tests brisk
        self._polls += 1
        generation = self._polls
        if offset:
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout:
            with contextlib.suppress(AssertionError):
                await self.wait_for(lambda: self.updates or self._polls != generation, timeout=timeout)
        if self._polls != generation:
            # Like Telegram: a newer getUpdates (another bot instance) terminates this one.
            raise ApiError(
                409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
            )
        return list(self.updates[:100])

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        html = params.get("text", "")
        text = self._checked_text(html, params.get("parse_mode"))
        markup = self._checked_markup(params.get("reply_markup"))
        formatted = params.get("parse_mode") == "HTML"
        message = SentMessage(chat_id, next(self._message_ids), text, html, markup, time.time(), formatted=formatted)
        self._record(message)
        return message.as_api()

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_file(params, "document")

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_file(params, "photo")

    def _store_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        upload = params.get(kind)
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if not isinstance(upload, web.FileField):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption_html = params.get("caption", "")
        caption = parse_html(caption_html) if caption_html and params.get("parse_mode") == "HTML" else caption_html
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        sent = SentFile(chat_id, kind, upload.filename, upload.file.read(), caption, next(self._message_ids))
        self.files.append(sent)
        self._tell("file", chat_id, sent)
        message = {
            "message_id": sent.message_id,
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private", "first_name": "client"},
            "date": int(time.time()),
            "caption": caption,
        }
        if kind == "document":
            message["document"] = {"file_id": f"doc{len(self.files)}", "file_unique_id": f"d{len(self.files)}"}
        else:
            message["photo"] = [
                {
                    "file_id": f"ph{len(self.files)}",
                    "file_unique_id": f"p{len(self.files)}",
                    "width": 800,
                    "height": 400,
                }
            ]
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        html = params.get("text", "")
        text = self._checked_text(html, params.get("parse_mode"))
        markup = self._checked_markup(params.get("reply_markup"))
        if text == message.text and markup == message.markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.html, message.markup = text, html, markup
        message.formatted = params.get("parse_mode") == "HTML"
        message.edits += 1
        self._tell("edited", message.chat_id, message)
        return message.as_api()

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        markup = self._checked_markup(params.get("reply_markup"))
        if markup == message.markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.markup = markup
        message.edits += 1
        self._tell("edited", message.chat_id, message)
        return message.as_api()

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._pending_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._pending_queries.discard(query_id)
        answer = {"text": params.get("text", ""), "show_alert": str(params.get("show_alert", "")).lower() == "true"}
        self.callback_answers[query_id] = answer
        self._tell("answer", self._query_chats.pop(query_id, 0), {"query_id": query_id, **answer})
        return True

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id, message_id = int(params.get("chat_id", 0)), int(params.get("message_id", 0))
        for message in self._sent_to.get(chat_id, ()):
            if message.message_id == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    @staticmethod
    def _checked_text(html: str, parse_mode: str | None) -> str:
        text = parse_html(html) if parse_mode == "HTML" else html
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _checked_markup(raw: str | None) -> dict[str, Any] | None:
        if not raw:
            return None
        markup = json.loads(raw)
        if sum(len(row) for row in markup.get("inline_keyboard", [])) > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup
