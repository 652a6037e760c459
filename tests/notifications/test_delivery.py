"""Retry timing offered to the outbox."""

from __future__ import annotations

import random

import pytest

from notifications.delivery import retry_delay


def test_retry_delay_doubles_within_jitter_bounds() -> None:
    rng = random.Random(7)
    for attempt, window in [(1, 60), (2, 120), (3, 240), (6, 1920)]:
        delays = [retry_delay(attempt, rng=rng) for _ in range(200)]
        assert min(delays) >= window / 2
        assert max(delays) <= window
        assert max(delays) - min(delays) > window / 4  # really spread, not a fixed value


def test_retry_delay_is_capped() -> None:
    assert retry_delay(40, cap=3600, rng=random.Random(1)) <= 3600
    assert retry_delay(10_000, base=1, cap=10, rng=random.Random(1)) <= 10


def test_retry_delay_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError):
        retry_delay(0)
