"""The admin side, one router per feature under this package's router. The filter on it lets only admins in
(a parent router's filters apply to its children): to anyone else these commands and buttons do not exist,
and their updates fall through to the fallback's neutral answers."""

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject

from bot.handlers.admin import (
    admins,
    blocks,
    book_for,
    broadcast,
    calendars,
    cancellations,
    catalog,
    clients,
    day,
    menu,
    operations,
    reports,
    staff,
)
from services.admin import AdminService
from services.booking import Sender


class IsAdmin(BaseFilter):
    async def __call__(self, event: TelegramObject, admin_service: AdminService, sender: Sender | None = None) -> bool:
        # Every client update meets this filter: the sender's own read already says whether they are listed.
        if sender is not None:
            return admin_service.is_owner(sender.profile.id) or sender.listed_admin
        from_user = getattr(event, "from_user", None)
        return from_user is not None and await admin_service.is_admin(from_user.id)


router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
router.include_routers(
    menu.router,
    day.router,
    cancellations.router,
    book_for.router,
    blocks.router,
    catalog.router,
    staff.router,
    broadcast.router,
    calendars.router,
    clients.router,
    admins.router,
    reports.router,
    operations.router,
)
