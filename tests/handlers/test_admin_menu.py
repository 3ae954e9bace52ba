"""/admin: every item of the menu is handled by its feature's router, for admins only."""

from emulator import BotApiEmulator
from services import runtime
from tests.conftest import eventually
from tests.handlers.conftest import OWNER, Chat


async def test_admin_menu_every_item_answers_the_owner(chat: Chat, stub: BotApiEmulator) -> None:
    owner = stub.user(OWNER, "Owner")
    owner.send("/admin")
    await chat.process()
    menu = owner.messages()[-1]
    items = [button["text"] for button in menu.buttons()]
    assert len(items) == 13
    for item in items:
        sent_before = len(owner.messages()) + len(stub.files)
        query = owner.click(menu, item)
        await chat.process()
        await eventually(lambda: not runtime.current().in_flight, what="the /stats chart")
        assert query in stub.callback_answers, item
        assert len(owner.messages()) + len(stub.files) > sent_before, f"{item} sent nothing"
    assert not stub.errors, stub.errors


async def test_admin_menu_does_not_exist_for_clients(chat: Chat, stub: BotApiEmulator) -> None:
    client = stub.user(9100, "Client")
    client.send("/admin")
    await chat.process()
    assert client.messages()[-1].text.startswith("I did not understand")
    query = client.click_data(client.messages()[-1], "am:jobs")
    await chat.process()
    assert stub.callback_answers[query]["text"] == "This button is out of date."
