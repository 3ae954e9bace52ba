from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import DatePick, MonthPage, Noop, TimePick, packed

row_ids = st.integers(0, 2**31 - 1)
scopes = st.fixed_dictionaries(
    {},
    optional={"booking_id": row_ids, "client_id": st.integers(0, 2**52), "specialist_id": row_ids},
)
days = st.dates(date(1900, 1, 1), date(2199, 12, 31)).map(lambda day: f"{day:%Y%m%d}")


@given(service_id=row_ids, start=st.integers(0, 2**33), scope=scopes)
def test_packed_time_is_what_the_model_packs(service_id: int, start: int, scope: dict[str, int]) -> None:
    expected = TimePick(service_id=service_id, start=start, **scope).pack()
    assert packed(TimePick, service_id=service_id, start=start, **scope) == expected
    assert TimePick.unpack(expected) == TimePick(service_id=service_id, start=start, **scope)


@given(service_id=row_ids, day=days, page=st.integers(0, 10_000), scope=scopes)
def test_packed_day_is_what_the_model_packs(service_id: int, day: str, page: int, scope: dict[str, int]) -> None:
    expected = DatePick(service_id=service_id, day=day, page=page, **scope).pack()
    assert packed(DatePick, service_id=service_id, day=day, page=page, **scope) == expected


def test_packed_without_fields_and_refusals() -> None:
    assert packed(Noop) == Noop().pack()
    with pytest.raises(TypeError, match="service_id"):
        packed(TimePick, start=1)
    with pytest.raises(TypeError, match="colour"):
        packed(TimePick, service_id=1, start=1, colour=2)
    with pytest.raises(ValueError, match=":"):
        packed(MonthPage, service_id=1, month="2026:12")
    with pytest.raises(ValueError, match="64 bytes"):
        packed(MonthPage, service_id=1, month="x" * 60)
