import asyncio
import time

from services.rate_limit import RateLimiter


async def test_rate_limit_spaces_sends_at_the_rate() -> None:
    limiter = RateLimiter(per_second=50, burst=1)
    started = time.monotonic()
    for _ in range(11):
        await limiter.acquire()
    assert time.monotonic() - started >= 10 / 50 * 0.95, "ten sends after the first take at least 0.2 s"


async def test_rate_limit_shares_one_bucket_between_senders() -> None:
    limiter = RateLimiter(per_second=50, burst=1)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(11)))
    assert time.monotonic() - started >= 10 / 50 * 0.95


async def test_rate_limit_pause_holds_every_sender() -> None:
    limiter = RateLimiter(per_second=1000, burst=5)
    limiter.pause(0.3)
    started = time.monotonic()
    await asyncio.gather(limiter.acquire(), limiter.acquire())
    assert time.monotonic() - started >= 0.29
    limiter.pause(0.1)
    limiter.pause(0.05)  # a shorter pause never shortens a longer one
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.09
