"""A per-stack apply lease on an Insights Hub tenant, built on Asset Management's optimistic concurrency.

The lease is one private static aspect type per stack, `<tenant>.provisionlease_<hash of stack>`,
whose description says who holds it and until when. It is taken by creating that type with
`PUT … If-None-Match: *` (assetmanagement-v3-18-4.yaml: `ifNoneMatchStar` on saveAspectType), or,
when it exists and is free or expired, by a merge-patch of its description with `If-Match` on
its etag; renewed and released the same way. Two applies can never both hold it: every take is a
conditional write, and the service refuses all but one (412). The type is never deleted, so its
etag counts every take and release: an apply that finds the etag where its own read saw it knows
that no other apply of the stack wrote in between (`Taken.since_observed`).

Expiry is wall-clock time (UTC): an apply that dies holding the lease blocks others for at most
`ttl` seconds (at once, when it ran on the same host: its pid is gone); a live holder renews
every `ttl / 3`. A holder that finds its lease taken over
(it stalled past the expiry) is `lost` and must stop writing (`check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import hashlib
import os
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from provisioner.errors import ProvisionError
from provisioner.providers.http.errors import (
    AmbiguousWriteError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)

JSONDict = dict[str, Any]
NAME_PREFIX = "provisionlease_"
FREE = "free"
_DESCRIPTION = re.compile(
    r"^provision apply lease: (?P<state>\S+)(?: since (?P<since>\S+))?(?: until (?P<until>\S+))?")


class LeaseClient(Protocol):
    """The aspect type calls the lease needs (a subset of `InsightsHubClient`)."""

    async def get_aspect_type(self, type_id: str) -> JSONDict: ...
    async def put_aspect_type(self, type_id: str, body: JSONDict, *, if_match: int | str | None = None,
                              if_none_match_star: bool = False) -> JSONDict: ...
    async def patch_aspect_type(self, type_id: str, patch: JSONDict, etag: int | str) -> JSONDict: ...


class LeaseHeldError(ProvisionError):
    """Another apply of the stack holds the lease and did not release it within the wait."""

    def __init__(self, stack: str, holder: str, until: str, waited: float, since: str = "") -> None:
        self.holder, self.until, self.since = holder, until, since
        held = f"since {since}, " if since else ""
        super().__init__(f"stack {stack!r} is being applied by {holder} ({held}lease until {until}); "
                         f"waited {waited:.0f}s. Try again when that apply has finished, wait longer "
                         "(--lock-timeout), or, if it died, `provision unlock`.")


class UnlockRefusedError(ProvisionError):
    """`unlock` found the lease held by a live holder that renews it (and no `force`)."""


class LeaseLostError(ProvisionError):
    """This apply's lease expired and another apply took it over: writing on would race it."""


def lease_type_id(tenant: str, stack: str) -> str:
    """The lease's aspect type id: `<tenant>.provisionlease_<20 hex digits of sha256(stack)>`."""
    digest = hashlib.sha256(stack.encode()).hexdigest()[:20]
    return f"{tenant}.{NAME_PREFIX}{digest}"


def is_lease_type(obj: JSONDict) -> bool:
    """True for a lease aspect type (the engine's read and the importer skip them)."""
    return str(obj.get("name", "")).startswith(NAME_PREFIX)


@dataclass(frozen=True, slots=True)
class LeaseState:
    """What a lease type says: its holder (`free` when released), expiry (epoch s), etag, and
    since when (epoch s) the holder has held it (0 when the description does not say)."""

    holder: str
    until: float
    etag: int | str
    since: float = 0.0

    def takeable(self, now: float, me: str) -> bool:
        """Free, expired, this holder's own, or held by a process of this host that has died."""
        return self.holder in (FREE, me) or self.until <= now or _dead_here(self.holder)


def _dead_here(holder: str) -> bool:
    """True when `holder` (`user@host/pid/random`) names this process namespace and a pid that is not
    running: an apply killed here gave up its lease without releasing it. Where the namespace cannot
    be told (no /proc), nothing is taken over early; the lease then only expires."""
    parts = holder.split("/")
    here = _host()
    if (len(parts) != 3 or not parts[1].isdigit() or "~" not in here
            or parts[0].rsplit("@", 1)[-1] != here):
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    return False


def _host() -> str:
    """The host name (at most 60 characters) and, where Linux tells it, `~` and a digest of the boot id
    and the pid namespace: a pid means the same process only within one namespace of one boot, and
    containers may share a host name."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:60]
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = Path("/proc/self/ns/pid").stat().st_ino
    except OSError:
        return name
    return f"{name}~{hashlib.sha256(f'{boot}/{namespace}'.encode()).hexdigest()[:12]}"


def parse_lease(obj: JSONDict) -> LeaseState:
    """The state of a lease aspect type; an unreadable description counts as free."""
    found = _DESCRIPTION.match(str(obj.get("description") or ""))
    etag = obj.get("etag", 0)
    if found is None or found["state"] == FREE or not found["until"]:
        return LeaseState(FREE, 0.0, etag)
    return LeaseState(found["state"], _epoch(found["until"]), etag, _epoch(found["since"] or ""))


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def lease_stamp(epoch: float) -> str:
    """A lease time as written in its description: `2026-12-02T18:40:00Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_stamp = lease_stamp


def default_holder() -> str:
    """`user@host/pid/random`: names the apply in a refusal; no spaces or quotes."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    user = re.sub(r"[^A-Za-z0-9._-]", "_", user)[:40]
    return f"{user}@{_host()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Observation:
    """The lease type's etag when a read began (None: it did not exist yet)."""

    etag: int | str | None


@dataclass(frozen=True, slots=True)
class Taken:
    """How the lease was taken: `since_observed` is true when nothing took or released it between
    the observation the caller passed to `acquire` and this take."""

    since_observed: bool


class StackLease:
    """One stack's lease on one tenant; re-entrant (`acquire` twice, `release` twice)."""

    def __init__(self, client: LeaseClient, *, tenant: str, stack: str, holder: str | None = None,
                 ttl: float = 60.0, wait: float = 120.0, poll: float = 1.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.client = client
        self.stack = stack
        self.type_id = lease_type_id(tenant, stack)
        self.holder = holder or default_holder()
        self.ttl, self.wait, self.poll = ttl, wait, poll
        self._clock, self._sleep = clock, sleep
        self._etag: int | str | None = None
        self._until = 0.0  # the expiry of the last successful take or renewal
        self._since = 0.0  # when this holder took it
        self._depth = 0
        self._lost = False
        self._renewer: asyncio.Task[None] | None = None
        self.on_wait: Callable[[str], None] | None = None
        """Told once per `acquire` when it has to wait for another holder (the CLI prints it)."""

    @property
    def held(self) -> bool:
        return self._depth > 0 and not self._lost

    def check(self) -> None:
        """Raise `LeaseLostError` when the lease was taken over while this apply held it, or its
        expiry passed without a renewal (another apply may take it over any moment)."""
        if self._lost or (self._depth and self._clock() >= self._until):
            raise LeaseLostError(f"the apply lease of stack {self.stack!r} expired and another apply "
                                 "took it over; stopped writing to avoid racing it")

    # -- observation -------------------------------------------------------------------------------
    async def observe(self) -> Observation:
        """Where the lease is now; a read that starts after this answer and an `acquire` given it
        learn whether any other apply of the stack took the lease in between."""
        try:
            return Observation((await self.client.get_aspect_type(self.type_id))["etag"])
        except NotFoundError:
            return Observation(None)

    # -- take, renew, release ----------------------------------------------------------------------
    def _body(self, holder: str, until: float) -> JSONDict:
        state = FREE if holder == FREE else f"{holder} since {_stamp(self._since)} until {_stamp(until)}"
        return {"description": f"provision apply lease: {state} (stack {self.stack})"[:255].replace("'", "")}

    async def acquire(self, observed: Observation | None = None) -> Taken:
        """Take the lease, waiting up to `wait` seconds while another apply holds it (polling after
        0.05 s, doubling up to `poll` seconds).

        `observed` is what `observe` returned before the caller read the tenant; the answer says
        whether the lease is still where it was then (never, without one). Raises `LeaseHeldError`.
        """
        if self._depth:
            self.check()
            self._depth += 1
            return Taken(False)
        started, delay = self._clock(), min(0.05, self.poll)
        told = False
        while True:
            now = self._clock()
            taken = await self._try_take(now)
            if isinstance(taken, int | str):
                before = taken
                break
            if taken is None:
                continue  # a race with another taker: look again at once
            if now - started >= self.wait:
                raise LeaseHeldError(self.stack, taken.holder, _stamp(taken.until), now - started,
                                     _stamp(taken.since) if taken.since else "")
            if self.on_wait is not None and not told:
                since = f" since {_stamp(taken.since)}" if taken.since else ""
                self.on_wait(f"waiting up to {self.wait:.0f}s for the lease of stack {self.stack!r}, held by "
                             f"{taken.holder}{since} (until {_stamp(taken.until)})")
                told = True
            await self._sleep(min(delay, self.wait - (now - started)))
            delay = min(delay * 2, self.poll)  # a short apply ahead is noticed at once, a long one polled
        self._depth, self._lost = 1, False
        self._renewer = asyncio.ensure_future(self._renew_loop())
        if observed is None:
            return Taken(False)
        return Taken(before == ("absent" if observed.etag is None else observed.etag))

    async def _try_take(self, now: float) -> int | str | LeaseState | None:
        """One attempt: the etag the lease had before this take ("absent" when created), the
        holder's state when it is held, or None after losing a race."""
        self._since = now
        body = {"name": self.type_id.split(".", 1)[1], "category": "static", "scope": "private",
                **self._body(self.holder, now + self.ttl),
                "variables": [{"name": "holder", "dataType": "STRING", "length": 255, "searchable": False,
                               "qualityCode": False}]}
        self._until = now + self.ttl
        try:
            created = await self.client.put_aspect_type(self.type_id, body, if_none_match_star=True)
            self._etag = created["etag"]
            return "absent"
        except (PreconditionFailedError, ConflictError):
            pass  # it exists
        except AmbiguousWriteError:
            return await self._mine_after_ambiguity("absent")
        current = parse_lease(await self.client.get_aspect_type(self.type_id))
        if not current.takeable(now, self.holder):
            return current
        try:
            patched = await self.client.patch_aspect_type(
                self.type_id, self._body(self.holder, now + self.ttl), current.etag)
        except PreconditionFailedError:
            return None
        except AmbiguousWriteError:
            return await self._mine_after_ambiguity(current.etag)
        self._etag = patched["etag"]
        return current.etag

    async def _mine_after_ambiguity(self, before: int | str) -> int | str | None:
        """After a take of unknown outcome: `before` when the lease now names this holder, None
        (look again) when it does not or does not exist at all."""
        try:
            obj = await self.client.get_aspect_type(self.type_id)
        except NotFoundError:
            return None
        if parse_lease(obj).holder == self.holder:
            self._etag = obj["etag"]
            return before
        return None

    async def _write(self, holder: str, until: float) -> bool:
        """Renew or release with If-Match on the held etag; False when someone else holds it now."""
        assert self._etag is not None
        try:
            self._etag = (await self.client.patch_aspect_type(self.type_id, self._body(holder, until),
                                                              self._etag))["etag"]
            return True
        except (PreconditionFailedError, AmbiguousWriteError):
            obj = await self.client.get_aspect_type(self.type_id)
            state = parse_lease(obj)
            if state.holder == (FREE if holder == FREE else self.holder):
                self._etag = obj["etag"]
                return True
            return False

    async def _renew_loop(self) -> None:
        while True:
            await self._sleep(self.ttl / 3)
            try:
                until = self._clock() + self.ttl
                if not await self._write(self.holder, until):
                    self._lost = True
                    return
                self._until = until
            except Exception:
                continue  # a failed renewal is retried; `check` refuses once the expiry has passed

    async def unlock(self, *, force: bool = False) -> LeaseState:
        """Free the lease whoever holds it (`provision unlock`); the state found is returned.

        A free, expired, or dead-on-this-host holder's lease is freed at once; a live holder's
        (unexpired: it renews every `ttl / 3`) only with `force`, and that apply then finds its
        lease gone at its next renewal and stops writing (`LeaseLostError`)."""
        try:
            obj = await self.client.get_aspect_type(self.type_id)
        except NotFoundError:
            return LeaseState(FREE, 0.0, 0)
        state = parse_lease(obj)
        if state.holder == FREE:
            return state
        if not force and state.until > self._clock() and not _dead_here(state.holder):
            since = f" since {_stamp(state.since)}" if state.since else ""
            raise UnlockRefusedError(f"stack {self.stack!r} is locked by {state.holder}{since}, whose lease "
                                 f"runs until {_stamp(state.until)} and is renewed while that apply lives; "
                                 "not unlocked. Use --force only when that apply is known to be dead.")
        try:
            await self.client.patch_aspect_type(self.type_id, self._body(FREE, 0.0), state.etag)
        except PreconditionFailedError:
            raise ProvisionError(f"the lease of stack {self.stack!r} changed while it was being "
                                 "unlocked (another apply took or renewed it); run unlock again") from None
        return state

    async def release(self) -> None:
        """Give the lease back (the outermost release frees it for the next apply)."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth:
            return
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if not self._lost:
            await self._write(FREE, 0.0)
        self._etag = None
