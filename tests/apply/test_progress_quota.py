"""The apply progress under client-side quotas: when and why it waits, and an ETA paced by the quota."""

from __future__ import annotations

import io

import pytest

from provisioner.apply.progress import ProgressReporter, clock_text
from provisioner.apply.quota_eta import QuotaEta
from provisioner.plan.estimate import Estimate
from provisioner.providers.http.rate_limits import RateLimit, RateLimiter

MAPPINGS = "mc.datapointmappings.post"


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def estimate(calls: int, scale: float = 100.0) -> Estimate:
    """A plan of `calls` mapping creates under the documented 1050/h, at `scale`."""
    return Estimate(calls_by_platform={"insights_hub": calls}, calls_by_class={MAPPINGS: calls},
                    critical_path_seconds=0.3, throughput_seconds=1.0,
                    quota_seconds=(-(-calls // 1050) - 1) * 3600 / scale,
                    quota_rules={MAPPINGS: ((1050, 3600.0),)}, quota_scale={MAPPINGS: scale})


def limiter(time: FakeTime, reporter: ProgressReporter, scale: float = 100.0) -> RateLimiter:
    limits = RateLimiter({MAPPINGS: RateLimit(per_hour=1050)}, clock=time, sleep=time.sleep, time_scale=scale)
    limits.observer = reporter
    return limits


async def test_a_wait_for_quota_is_said_once_with_the_quota_and_its_scale() -> None:
    time, out = FakeTime(), io.StringIO()
    reporter = ProgressReporter(2500, stream=out, tty=False, estimate=estimate(2500), clock=time)
    limits = limiter(time, reporter)
    for _ in range(1051):
        await limits.acquire(MAPPINGS)
    assert time.sleeps == [pytest.approx(36.0)]  # one window of 3600 s at 100x
    lines = out.getvalue().splitlines()
    assert lines == ["[0/2500] waiting for quota: mindconnect POST /dataPointMappings, 1,050/h at time "
                     "scale 100x (next slot in 36.0s, ETA 0:01:12)"]
    assert reporter.status == ""  # the waiting call took its slot


async def test_a_class_that_waits_again_is_said_again_only_after_notice_every() -> None:
    time, out = FakeTime(), io.StringIO()
    reporter = ProgressReporter(5000, stream=out, tty=False, estimate=estimate(5000), clock=time,
                                notice_every=100.0)
    limits = limiter(time, reporter)
    for _ in range(4 * 1050 + 1):
        await limits.acquire(MAPPINGS)
    assert len(time.sleeps) == 4  # waits at 36, 72, 108 and 144 s
    assert out.getvalue().count("waiting for quota:") == 2  # at 36 s, then at 144 s (>= 100 s later)


async def test_the_eta_follows_the_quota_not_the_recent_rate() -> None:
    time = FakeTime()
    reporter = ProgressReporter(2500, stream=io.StringIO(), tty=False, estimate=estimate(2500), clock=time)
    limits = limiter(time, reporter)
    assert reporter.eta_seconds() == pytest.approx(72.0)  # 2500 calls: 1050 now, 1050 at 36 s, 400 at 72 s
    for _ in range(1050):
        await limits.acquire(MAPPINGS)
    # 1050 calls done in no time: the recent rate would say ~0 s left; the quota says two windows
    assert reporter.eta_seconds() == pytest.approx(72.0)
    await limits.acquire(MAPPINGS)
    assert time.now == pytest.approx(136.0) and reporter.eta_seconds() == pytest.approx(36.0)
    for _ in range(1049):
        await limits.acquire(MAPPINGS)
    assert reporter.eta_seconds() == pytest.approx(36.0)
    for _ in range(400):
        await limits.acquire(MAPPINGS)
    assert reporter.quota is not None and reporter.quota.seconds() == 0.0 and time.now == pytest.approx(172.0)


def test_without_quota_the_eta_is_the_estimates_share_of_the_nodes_left() -> None:
    time = FakeTime()
    est = Estimate(calls_by_platform={"hub": 40}, critical_path_seconds=2.0, throughput_seconds=8.0)
    reporter = ProgressReporter(4, stream=io.StringIO(), tty=False, estimate=est, clock=time)
    assert reporter.eta_seconds() == 8.0 and not QuotaEta(est).limited
    reporter.completed = 3
    assert reporter.eta_seconds() == 2.0
    plain = ProgressReporter(4, stream=io.StringIO(), tty=False, clock=time)
    assert plain.eta_seconds() is None  # no estimate, nothing done: unknown


def test_the_eta_follows_every_window_of_a_class_with_two() -> None:
    time = FakeTime()
    est = Estimate(calls_by_class={"am.assets.post": 2000}, quota_rules={"am.assets.post": ((594, 60.0),
                   (1485, 3600.0))}, quota_scale={"am.assets.post": 1.0})
    eta = QuotaEta(est, clock=time)
    assert eta.seconds() == 3600.0  # the hour window binds: 1485 now, 515 an hour later
    for _ in range(594):
        eta.quota_taken("am.assets.post")
    assert eta.seconds() == 3600.0


def test_clock_text() -> None:
    assert clock_text(None) == "-:--:--" and clock_text(3725.4) == "1:02:05" and clock_text(-3) == "0:00:00"


def test_tty_mode_shows_the_wait_in_the_bar() -> None:
    time, out = FakeTime(), io.StringIO()
    with ProgressReporter(10, stream=out, tty=True, color=False, estimate=estimate(2000), clock=time) as bar:
        from provisioner.model.quota import QuotaWait

        bar.quota_wait(QuotaWait(MAPPINGS, "mindconnect POST /dataPointMappings, 1,050/h", 3.4))
        assert bar.status == "waiting for quota: mindconnect POST /dataPointMappings, 1,050/h"
    said = " ".join(out.getvalue().split())  # the console wraps at its width
    assert "waiting for quota: mindconnect POST /dataPointMappings, 1,050/h (next slot in 3.4s" in said
