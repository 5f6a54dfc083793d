"""The per-stack apply lease against the in-process sandbox's Asset Management (real client, fake clock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from provisioner.providers.http.credentials import IhServiceCredentials
from provisioner.providers.http.errors import AmbiguousWriteError
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.lease import (
    FREE,
    LeaseHeldError,
    LeaseLostError,
    StackLease,
    default_holder,
    lease_type_id,
    parse_lease,
)
from provisioner.sandbox import Sandbox, SandboxSettings

TTL = 3600.0  # renewals (every TTL/3 of real time) never run during a test


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client() -> AsyncIterator[InsightsHubClient]:
    sandbox = Sandbox(SandboxSettings())
    async with InsightsHubClient(sandbox.settings.base_url,
                                 IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret"),
                                 transport=sandbox.transport()) as hub:
        yield hub


def lease(client: InsightsHubClient, clock: Clock, holder: str, **kwargs: float) -> StackLease:
    return StackLease(client, tenant="sandbox", stack="plant-a", holder=holder, ttl=TTL, clock=clock,
                      **{"wait": 0.0, **kwargs})


async def test_one_holder_at_a_time_and_the_refusal_names_the_holder(client: InsightsHubClient) -> None:
    clock = Clock()
    first, second = lease(client, clock, "alice@host1/1/a"), lease(client, clock, "bob@host2/2/b")
    assert (await first.acquire()).since_observed is False  # nothing observed: never trusted
    assert first.held
    with pytest.raises(LeaseHeldError, match=r"stack 'plant-a' is being applied by alice@host1/1/a") as info:
        await second.acquire()
    assert info.value.holder == "alice@host1/1/a" and not second.held
    await first.release()
    assert parse_lease(await client.get_aspect_type(lease_type_id("sandbox", "plant-a"))).holder == FREE
    await second.acquire()
    assert second.held
    await second.release()


async def test_reentrant_acquire_keeps_the_lease_until_the_outermost_release(
        client: InsightsHubClient) -> None:
    clock = Clock()
    mine, other = lease(client, clock, "alice@h/1/a"), lease(client, clock, "bob@h/2/b")
    await mine.acquire()
    await mine.acquire()
    await mine.release()
    with pytest.raises(LeaseHeldError):
        await other.acquire()
    await mine.release()
    await other.acquire()
    await other.release()


async def test_an_expired_lease_is_taken_over_and_its_old_holder_stops(client: InsightsHubClient) -> None:
    clock = Clock()
    stalled, next_one = lease(client, clock, "alice@h/1/a"), lease(client, clock, "bob@h/2/b")
    await stalled.acquire()
    stalled.check()
    clock.now += TTL + 1
    await next_one.acquire()
    assert parse_lease(await client.get_aspect_type(stalled.type_id)).holder == "bob@h/2/b"
    with pytest.raises(LeaseLostError):
        stalled.check()
    await stalled.release()  # its etag is stale: it must not free bob's lease
    assert parse_lease(await client.get_aspect_type(stalled.type_id)).holder == "bob@h/2/b"
    await next_one.release()


async def test_the_observation_tells_whether_another_apply_took_the_lease_since(
        client: InsightsHubClient) -> None:
    clock = Clock()
    mine, other = lease(client, clock, "alice@h/1/a"), lease(client, clock, "bob@h/2/b")
    before = await mine.observe()
    assert before.etag is None  # never created yet
    assert (await mine.acquire(before)).since_observed  # created it: nobody came between
    await mine.release()

    seen = await mine.observe()
    assert (await mine.acquire(seen)).since_observed
    await mine.release()

    seen = await mine.observe()
    await other.acquire()  # another apply runs between this read and this apply
    await other.release()
    assert not (await mine.acquire(seen)).since_observed
    await mine.release()


async def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_at_once(
        client: InsightsHubClient) -> None:
    clock = Clock()
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead_pid = int(child.stdout)
    host = default_holder().split("/")[0].rsplit("@", 1)[1]  # host name ~ boot and pid namespace
    killed = lease(client, clock, f"ci@{host}/{dead_pid}/dead")
    await killed.acquire()
    alive = lease(client, clock, f"ci@{host}/{os.getpid()}/live")
    await alive.acquire()  # no wait: the holder's process is gone
    assert parse_lease(await client.get_aspect_type(alive.type_id)).holder.endswith("/live")
    with pytest.raises(LeaseHeldError):  # a live process of this host is waited for
        await lease(client, clock, f"ci@{host}/{os.getpid()}/third").acquire()
    await alive.release()


async def test_a_dead_pid_of_another_namespace_with_the_same_host_name_is_waited_for(
        client: InsightsHubClient) -> None:
    # two containers may share a host name; a pid means nothing outside its own pid namespace
    clock = Clock()
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    other = f"{socket.gethostname()}~000000000000"
    await lease(client, clock, f"ci@{other}/{int(child.stdout)}/elsewhere").acquire()
    with pytest.raises(LeaseHeldError):
        await lease(client, clock, f"ci@{socket.gethostname()}/{os.getpid()}/here").acquire()


def test_lease_type_ids_are_valid_aspect_type_ids_per_stack() -> None:
    one, two = lease_type_id("acme", "plant-a"), lease_type_id("acme", "plant-b")
    assert one != two and one.startswith("acme.provisionlease_") and len(one) <= 128
    assert one.split(".", 1)[1].replace("_", "").isalnum()


class CommitsThenTimesOut:
    """The first lease write is applied, but its answer is lost (`AmbiguousWriteError`)."""

    def __init__(self, inner: InsightsHubClient) -> None:
        self.inner, self.tripped = inner, False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def put_aspect_type(self, type_id: str, body: dict, **kwargs: object) -> dict:
        created = await self.inner.put_aspect_type(type_id, body, **kwargs)  # type: ignore[arg-type]
        if not self.tripped:
            self.tripped = True
            raise AmbiguousWriteError("read timeout after the request was sent", status=None)
        return created


async def test_a_take_whose_answer_was_lost_is_recognised_as_ours(client: InsightsHubClient) -> None:
    clock = Clock()
    flaky = CommitsThenTimesOut(client)
    mine = StackLease(flaky, tenant="sandbox", stack="plant-a", holder="alice@h/1/a",  # type: ignore[arg-type]
                      ttl=TTL, clock=clock, wait=0.0)
    seen = await mine.observe()
    assert (await mine.acquire(seen)).since_observed and flaky.tripped
    with pytest.raises(LeaseHeldError):
        await lease(client, clock, "bob@h/2/b").acquire()
    await mine.release()
    assert parse_lease(await client.get_aspect_type(mine.type_id)).holder == FREE
