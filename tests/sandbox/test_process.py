"""`python main.py --sandbox` as a real process: no token, no network, its own database, production settings
ignored out loud, and the real bot answering through the page's API."""

import asyncio
import os
import socket
import sys
from pathlib import Path

from aiohttp import ClientSession

from sandbox.process import MAIN, running_sandbox


async def test_sandbox_ignores_a_real_deployment_and_answers_on_its_own_database(tmp_path: Path) -> None:
    production = {
        "BOT_TOKEN": "123456:real-token-that-must-not-be-used-at-all",
        "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/production",
        "WEBHOOK_URL": "https://example.com/hook",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    async with running_sandbox(tmp_path, production) as address, ClientSession(address) as http:
        assert address.startswith("http://127.0.0.1:")
        async with http.get("/api/events") as events:  # listening before asking: the answer cannot slip by
            async with http.post("/api/chats/1001/messages", json={"text": "/start"}) as sent:
                assert sent.status == 204
            while b"Hello" not in await events.content.readline():
                pass
        async with http.get("/api/chats/1001") as chat:
            answer = (await chat.json())["messages"][-1]
        assert "Hello, Anna!" in answer["html"]
    assert (tmp_path / "data" / "sandbox.db").exists()
    log = (tmp_path / "sandbox.log").read_text()
    for name in ("BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL", "REDIS_URL"):
        assert f"{name} is ignored" in log, log


async def test_sandbox_warns_when_the_page_is_reachable_beyond_this_machine(tmp_path: Path) -> None:
    async with (
        running_sandbox(tmp_path, {"WEB_HOST": "0.0.0.0"}) as address,
        ClientSession(address.replace("0.0.0.0", "127.0.0.1")) as http,
        http.get("/api/people") as response,
    ):
        assert len(await response.json()) == 3
    assert "reachable beyond this machine" in (tmp_path / "sandbox.log").read_text()


async def test_sandbox_says_in_one_line_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(MAIN),
            "--sandbox",
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "WEB_PORT": str(taken.getsockname()[1])},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    [line] = [line for line in stderr.decode().splitlines() if "Sandbox error" in line]
    assert "cannot serve the page on 127.0.0.1" in line
    assert "Traceback" not in stderr.decode()
