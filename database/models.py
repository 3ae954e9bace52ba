import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from database.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class BookingStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class CancelledBy(enum.StrEnum):
    CLIENT = "client"
    ADMIN = "admin"
    RELEASE = "release"  # not confirmed by CONFIRM_BY, with RELEASE_UNCONFIRMED on


def _string_enum(kind: type[enum.StrEnum]) -> Enum:
    """Stored as the member's value ('active'), which the migration's CHECK constraint lists."""
    return Enum(
        kind,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def _ends_at(context: DefaultExecutionContext) -> datetime:
    return context.get_current_parameters()["ends_at"]  # type: ignore[no-any-return]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # No-shows before this moment no longer count against MAX_NO_SHOWS (an admin forgave them).
    no_shows_forgiven_at: Mapped[datetime | None]
    # Since this moment an admin has closed self-booking for the client (None: they may book).
    booking_blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    price: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Kept free in the specialist's day after the service (cleanup, travel); not part of the appointment.
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
    )


class Specialist(Base):
    """Someone clients book: their services, their week (`WeeklyShift`) and the dates that differ (`DateShift`)."""

    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # Every service, including those added later; otherwise the ones in specialist_services.
    all_services: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # False until the week is first written: the first specialist of an upgraded database gets WORK_* at startup.
    hours_set: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    may_edit_days_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecialistService(Base):
    __tablename__ = "specialist_services"

    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)


class WeeklyShift(Base):
    """Working time on a weekday (Monday = 0), in wall-clock minutes from midnight; `end_minute` may pass 1440."""

    __tablename__ = "weekly_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND start_minute < 1440", name="start_in_day"),
        CheckConstraint("end_minute > start_minute AND end_minute <= start_minute + 1440", name="end_after_start"),
    )


class DateShift(Base):
    """Hours on one date instead of the week's; a row without minutes makes the date a day off."""

    __tablename__ = "date_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_date_shifts_specialist_id_day", "specialist_id", "day"),
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND start_minute < 1440 AND end_minute > start_minute "
            "AND end_minute <= start_minute + 1440)",
            name="day_off_or_shift",
        ),
    )


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The end of the time kept free for it in the specialist's day: the end plus the service's buffer.
    occupied_until: Mapped[datetime] = mapped_column(default=_ends_at)
    status: Mapped[BookingStatus] = mapped_column(
        _string_enum(BookingStatus),
        default=BookingStatus.ACTIVE,
    )
    # When the current start time was chosen: only reminder offsets still ahead then apply.
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(_string_enum(CancelledBy))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The client said they will come (a reminder's ✅); cleared when the booking moves to another time.
    confirmed_at: Mapped[datetime | None]
    # Someone said whether the client came (the day view, the visit question): nobody is asked again. Not the
    # same as status `completed`, which the sweeps also give every ended booking nobody marked.
    visit_recorded_at: Mapped[datetime | None]
    # Raised by every move: a calendar file's SEQUENCE, so that calendar apps take the newest file.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship(lazy="raise")
    service: Mapped[Service] = relationship(lazy="raise")
    specialist: Mapped[Specialist] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_bookings_specialist_id_starts_at", "specialist_id", "starts_at"),
        Index("ix_bookings_status_starts_at", "status", "starts_at"),
        Index("ix_bookings_user_id_status", "user_id", "status"),
    )


class BlockedPeriod(Base):
    """Time nobody can book: the whole business's, or one specialist's."""

    __tablename__ = "blocked_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Always wanted with the block (whose it is), and blocks are few.
    specialist: Mapped[Specialist | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_blocked_periods_starts_at", "starts_at"),
        # NULL (the whole business) counts as one value: the same period is blocked once for everyone.
        Index(
            "uq_blocked_periods_period",
            func.coalesce(specialist_id, literal_column("0")),
            "starts_at",
            "ends_at",
            unique=True,
        ),
    )


class Notification(Base):
    """One row per message that is sent once: a booking's (a reminder offset, the feedback request), or a waitlist
    entry's (an offer of a freed start time).

    The row is claimed before sending and stamped with `sent_at` after Telegram accepted the message;
    a claim without `sent_at` is released on failure, or taken over once it is older than the claim
    timeout (its sender died mid-send).
    """

    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    waitlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime]
    claim_token: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("booking_id", "kind", name="uq_notification_log_booking_kind"),
        UniqueConstraint("waitlist_entry_id", "kind", name="uq_notification_log_waitlist_entry_kind"),
        CheckConstraint("(booking_id IS NULL) <> (waitlist_entry_id IS NULL)", name="one_subject"),
    )


class WaitlistEntry(Base):
    """A client waiting for a time to free up on a day (local), for a service, with a specialist (None: anyone)."""

    __tablename__ = "waitlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
    service: Mapped[Service] = relationship(lazy="raise")
    specialist: Mapped[Specialist | None] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_waitlist_day", "day"),
        # NULL (anyone) counts as one value: a client waits once for the same day, service and specialist.
        Index(
            "uq_waitlist_entry",
            "user_id",
            "service_id",
            func.coalesce(specialist_id, literal_column("0")),
            "day",
            unique=True,
        ),
    )


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)


class ClientNote(Base):
    """What an admin wrote down about a client, shown on the client's card."""

    __tablename__ = "client_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuietAdmin(Base):
    """An admin who asked not to be told of every booking (they still get the notices of their own, if any)."""

    __tablename__ = "quiet_admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class CatalogRevision(Base):
    """A number the database raises (triggers) whenever services, specialists, their services, weeks, dates or
    blocks change: a process may keep what it read of them for as long as the number stays the same."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class CalendarFeed(Base):
    """A secret address of a subscription feed: the whole business's bookings, or one specialist's."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    specialist: Mapped[Specialist | None] = relationship(lazy="joined")


class Admin(Base):
    """Admins added in chat by an owner; owners themselves come from ADMIN_IDS."""

    __tablename__ = "admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    DONE = "done"
    DROPPED = "dropped"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"  # was being sent when the process died: never sent again


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[BroadcastStatus] = mapped_column(_string_enum(BroadcastStatus), default=BroadcastStatus.DRAFT)
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_deliveries"

    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[DeliveryState] = mapped_column(_string_enum(DeliveryState), default=DeliveryState.PENDING)
    updated_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_broadcast_deliveries_state", "broadcast_id", "state"),)
