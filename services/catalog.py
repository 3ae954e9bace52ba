"""What the booking steps read about the business — services, specialists, who performs what, weeks, dates,
blocks — kept by the process for as long as the database's catalog revision stays the same.

The database raises the revision (triggers, on both databases) in the transaction of any change, whoever makes
it: another replica, an admin in chat, a migration, a hand-written UPDATE. Every update reads the revision with
its sender, so a change is seen by the next update everywhere. The entities kept are detached (in no session):
handlers may read them; what a write refers to is `merge`d into the update's session first.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from database.models import Service, Specialist, utcnow
from database.repositories import BlockedPeriods, CatalogReads, MinuteShifts, Specialists

# Dates and blocks are kept from a week before the snapshot was read: the booking steps ask from the day before
# a day they show (a night shift), never further back; an older question is answered by the database.
KEPT_BEHIND = timedelta(days=7)
_FAR_AHEAD = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    services: dict[int, Service]  # in their order, hidden ones too
    specialists: dict[int, Specialist]  # in their order, hidden ones too
    performed: dict[int, frozenset[int]]  # specialist id → the service ids they chose (unless all_services)
    weeks: dict[int, list[MinuteShifts]]
    dates_from: date
    dates: dict[int, dict[date, MinuteShifts]]
    blocks_from: datetime
    blocks: list[tuple[int | None, datetime, datetime]]
    _performing: dict[int, list[Specialist]] = field(default_factory=dict)

    def active_services(self) -> list[Service]:
        return [item for item in self.services.values() if item.is_active]

    def active_specialists(self) -> int:
        return sum(item.is_active for item in self.specialists.values())

    def performing(self, service_id: int) -> list[Specialist]:
        """The active specialists who perform a service, in their order."""
        found = self._performing.get(service_id)
        if found is None:
            found = self._performing[service_id] = [
                item
                for item in self.specialists.values()
                if item.is_active and (item.all_services or service_id in self.performed.get(item.id, ()))
            ]
        return found

    def date_exceptions(
        self, specialist_ids: Sequence[int], first: date, last: date
    ) -> dict[int, dict[date, MinuteShifts]] | None:
        """As `Specialists.date_exceptions`; None if the snapshot does not reach back to `first`."""
        if first < self.dates_from:
            return None
        found = {}
        for specialist_id in specialist_ids:
            days = {day: shifts for day, shifts in self.dates.get(specialist_id, {}).items() if first <= day <= last}
            if days:
                found[specialist_id] = days
        return found

    def blocks_overlapping(
        self, start: datetime, end: datetime, specialist_ids: Sequence[int]
    ) -> list[tuple[int | None, datetime, datetime]] | None:
        """As `BlockedPeriods.times_overlapping`; None if the snapshot does not reach back to `start`."""
        if start < self.blocks_from:
            return None
        wanted = set(specialist_ids)
        return [
            block
            for block in self.blocks
            if block[1] < end and block[2] > start and (block[0] is None or block[0] in wanted)
        ]


class Catalog:
    """The process's snapshot of the catalog, read again when the revision moves."""

    def __init__(self) -> None:
        self._kept: Snapshot | None = None

    async def snapshot(self, session: AsyncSession, revision: int | None = None) -> Snapshot | None:
        """The snapshot for `revision` (read now if not given); None if the database keeps no revision."""
        if revision is None:
            revision = await CatalogReads(session).revision()
            if revision is None:
                return None
        kept = self._kept
        if kept is not None and kept.revision == revision:
            return kept
        # Read after the revision: at worst newer than its label, and then read again at the next update.
        self._kept = kept = await _read(session, revision)
        return kept


async def _read(session: AsyncSession, revision: int) -> Snapshot:
    reads, staff = CatalogReads(session), Specialists(session)
    since = utcnow() - KEPT_BEHIND
    services = await reads.services()
    specialists = await reads.specialists()
    performed: dict[int, set[int]] = defaultdict(set)
    for specialist_id, service_id in await reads.performed():
        performed[specialist_id].add(service_id)
    everyone = [item.id for item in specialists]
    # A day is local: a week back in UTC's date covers every time zone's.
    dates_from = since.date() - timedelta(days=1)
    return Snapshot(
        revision=revision,
        services={item.id: item for item in services},
        specialists={item.id: item for item in specialists},
        performed={key: frozenset(ids) for key, ids in performed.items()},
        weeks=await staff.weeks([item.id for item in specialists if item.hours_set]),
        dates_from=dates_from,
        dates=await staff.date_exceptions(everyone, dates_from, date.max),
        blocks_from=since,
        blocks=list(await BlockedPeriods(session).times_overlapping(since, _FAR_AHEAD, everyone)),
    )
