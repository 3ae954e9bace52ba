"""The sandbox page driven in a real browser (Debian's Chromium through Playwright), for the browser tests and
the README's screenshots. Playwright is a development dependency (requirements-dev.txt)."""

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

PHONE = {"width": 420, "height": 820}


class ChromiumMissing(Exception):
    pass


def chromium() -> str:
    """Debian's Chromium (`apt-get install chromium`), or CHROMIUM: Playwright's own download is not reachable."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise ChromiumMissing(f"Chromium not found at {path}: apt-get install chromium, or set CHROMIUM")
    return path


@contextlib.asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # --no-sandbox: Chromium's own sandbox needs user namespaces, which containers (and root) do not give.
        launched = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


class Chat:
    """The page as a person uses it: pick who you are, type, press buttons, read the chat."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def open(self, address: str) -> None:
        await self.page.goto(address)
        await expect(self.page.locator("#people button").first).to_be_visible()

    async def be(self, name: str) -> None:
        await self.page.locator("#people button", has_text=name).click()
        await expect(self.page.locator("#people button[aria-pressed=true]")).to_contain_text(name)

    async def rename(self, name: str) -> None:
        await self.page.fill("#name", name)
        await self.page.press("#name", "Enter")
        await expect(self.page.locator("#people button[aria-pressed=true]")).to_have_text(name)

    async def say(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")

    async def press(self, button: str) -> None:
        """A button of the bot's: under its newest message that has it, else on the reply keyboard."""
        inline = self.page.locator(".message .inline button", has_text=button)
        if await inline.count():
            await inline.last.click()
        else:
            await self.page.locator("#keyboard button", has_text=button).click()

    async def press_first_time(self) -> None:
        await self.page.locator(".message .inline button").filter(has_text=re.compile(r"^\d\d:\d\d$")).first.click()

    async def sees(self, text: str, within: float = 15) -> None:
        """A message with `text` shows up within `within` seconds."""
        await expect(self.page.locator(".message", has_text=text).last).to_be_visible(timeout=within * 1000)

    async def book_first_time(self) -> None:
        await self.press("📅 Book")
        await self.sees("Choose a day")
        await self.page.locator(".message").last.locator(".inline button").first.click()
        await self.sees("Choose a time")
        await self.press_first_time()
        await self.sees("Confirm?")
        await self.press("✅")
        await self.sees("Booked")
