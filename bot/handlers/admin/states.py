"""Questions the admin side asks and waits on."""

from aiogram.fsm.state import State, StatesGroup


class AdminStates(StatesGroup):
    cancel_reason = State()
    adding_admin = State()
    broadcast_message = State()
    linking_specialist = State()
    client_note = State()
