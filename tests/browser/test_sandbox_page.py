"""The sandbox in a real browser: a client books by clicking, the owner sees it in /today, the reminder arrives
live, hostile names stay text, files download, and the reset empties everything."""

import asyncio
from pathlib import Path

from playwright.async_api import expect

from sandbox.browser import Chat


async def test_browser_a_client_books_the_owner_sees_it_and_the_reminder_arrives_live(chat: Chat) -> None:
    page = chat.page
    await chat.be("Anna")
    await chat.rename("Anna <b>&")
    await chat.say("/start")
    await chat.sees("Hello, Anna <b>&!")
    await chat.book_first_time()
    await page.evaluate("window.notReloaded = true")

    await chat.be("Olga")
    await chat.sees("New booking")
    await chat.say("/today")
    await chat.sees("1 booking(s)")
    day = page.locator(".message", has_text="1 booking(s)").last
    await expect(day).to_contain_text("Anna <b>&"), "the name is shown as typed"
    await expect(day.locator(".mention")).to_have_text("Anna <b>&")

    await chat.be("Anna")
    await chat.sees("Reminder", within=90)
    assert await page.evaluate("window.notReloaded === true"), "it arrived over the event stream"
    await chat.press("I'll come")
    await chat.sees("We are expecting you")


async def test_browser_the_owners_csv_downloads_and_the_reset_empties_the_sandbox(chat: Chat) -> None:
    page = chat.page
    await chat.be("Olga")
    await chat.say("/export")
    link = page.locator(".message a.file").last
    await expect(link).to_contain_text(".csv")
    async with page.expect_download() as downloading:
        await link.click()
    download = await downloading.value
    saved = Path(await download.path())
    header = (await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")).splitlines()[0]
    assert "id" in header.lower(), header

    page.on("dialog", lambda dialog: dialog.accept())
    # The sandbox starts again; the page reads everything anew once its event stream is back.
    async with page.expect_response(lambda response: response.url.endswith("/api/people"), timeout=60_000):
        await page.click("#reset")
    await expect(page.locator(".message")).to_have_count(0)
    await chat.say("/start")
    await chat.sees("Hello, Olga!")
