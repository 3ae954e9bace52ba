"""Calendar subscription feeds: secret addresses that admins create and revoke (a linked specialist gets their
own), and the bookings a feed holds. Every change is audited in the same transaction."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from config import Settings
from core.errors import CalendarFeedNotFound
from database.models import Booking, CalendarFeed, Specialist, utcnow
from database.repositories import CalendarFeeds
from services.admin import AdminService

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=60)
SECRET_BYTES = 24  # 32 characters of URL-safe base64


@dataclass(frozen=True, slots=True)
class FeedContent:
    feed: CalendarFeed
    bookings: Sequence[Booking]


class CalendarService:
    def __init__(self, session: AsyncSession, settings: Settings, admin: AdminService) -> None:
        self.session = session
        self.settings = settings
        self.admin = admin
        self.feeds = CalendarFeeds(session)

    async def listed(self) -> Sequence[CalendarFeed]:
        return await self.feeds.active()

    async def create(self, actor_id: int, specialist: Specialist | None) -> CalendarFeed:
        feed = CalendarFeed(
            secret=secrets.token_urlsafe(SECRET_BYTES),
            specialist_id=specialist.id if specialist else None,
            specialist=specialist,
            created_by=actor_id,
        )
        self.session.add(feed)
        await self.session.flush()
        await self.admin.audit(actor_id, "calendar.add", f"calendar:{feed.id}", None, _state(feed))
        return feed

    async def own(self, actor_id: int, specialist: Specialist) -> CalendarFeed:
        """A linked specialist's feed: the one they have, or a new one."""
        return await self.feeds.of_specialist(specialist.id) or await self.create(actor_id, specialist)

    async def revoke(self, actor_id: int, feed_id: int, now: datetime | None = None) -> CalendarFeed:
        feed = await self.feeds.get(feed_id)
        if feed is None or feed.revoked_at is not None:
            raise CalendarFeedNotFound(f"calendar feed {feed_id}")
        feed.revoked_at = now or utcnow()
        await self.admin.audit(actor_id, "calendar.revoke", f"calendar:{feed.id}", _state(feed), None)
        return feed


async def feed_content(session: AsyncSession, secret: str, now: datetime | None = None) -> FeedContent | None:
    """What the feed at this secret holds (the last 30 days and the next 60), or None: unknown or revoked."""
    feeds = CalendarFeeds(session)
    feed = await feeds.by_secret(secret)
    if feed is None:
        return None
    now = now or utcnow()
    return FeedContent(feed, await feeds.bookings(feed.specialist_id, now - FEED_PAST, now + FEED_AHEAD))


def _state(feed: CalendarFeed) -> dict[str, object]:
    return {"specialist": feed.specialist_id, "created_by": feed.created_by}
