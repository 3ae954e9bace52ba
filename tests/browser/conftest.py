from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.browser import PHONE, Chat, browser
from sandbox.process import demo_environment, running_sandbox


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    """The sandbox page open in Chromium at a phone's size, on a sandbox of this test's own."""
    async with running_sandbox(tmp_path, demo_environment(datetime.now(UTC))) as address, browser() as chromium:
        page = await chromium.new_page(viewport=PHONE)
        opened = Chat(page)
        await opened.open(address)
        yield opened
