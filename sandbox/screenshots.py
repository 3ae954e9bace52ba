"""`python -m sandbox.screenshots [FOLDER]`: the README's pictures, taken of the real bot in the sandbox page.

A client books and opens her bookings, her reminder arrives, then the owner looks at the day and the figures.
"""

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sandbox.browser import PHONE, Chat, browser
from sandbox.process import demo_environment, running_sandbox

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


async def take(folder: Path) -> list[Path]:
    taken: list[Path] = []
    with tempfile.TemporaryDirectory() as workdir:
        environment = demo_environment(datetime.now(UTC))
        async with running_sandbox(Path(workdir), environment) as address, browser() as chromium:
            page = await chromium.new_page(viewport=PHONE)
            chat = Chat(page)

            async def shot(name: str) -> None:
                path = folder / f"{name}.png"
                await page.screenshot(path=path)
                taken.append(path)

            await chat.open(address)
            await chat.be("Anna")
            await chat.say("/start")
            await chat.sees("Hello")
            await chat.book_first_time()
            await shot("1-booking")
            await chat.press("My bookings")
            await chat.sees("Your upcoming bookings")
            await shot("2-my-bookings")
            await chat.sees("Reminder", within=120)
            await shot("3-reminder")
            await chat.be("Olga")
            await chat.say("/today")
            await chat.sees("booking(s)")
            await shot("4-owner-day")
            await chat.say("/stats")
            await page.locator(".message img").last.wait_for()
            await page.wait_for_function("[...document.images].every((image) => image.complete)")
            await shot("5-stats")
    return taken


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(folder)):
        print(path)


if __name__ == "__main__":
    main()
