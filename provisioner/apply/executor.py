"""Run an execution graph against the providers with a ready queue.

A node starts as soon as all its predecessors are done (`TopologicalSorter.get_ready()/done()`),
bounded by `parallelism` overall and `per_platform_limits` per platform. A failed node's
dependents are skipped, transitively; independent branches go on.

Retries have one owner, the HTTP layer (see `provisioner.model.attempts`): a failure that reaches
the executor has already been retried as far as the change's attempt budget allows, so a 5xx,
timeout or connection error fails the change. The executor re-runs a change only for what the
HTTP layer cannot decide: a write whose outcome stayed unknown (`AmbiguousWriteError`), which a
provider raises only after its lookup by identity found nothing, so the write was not applied;
the next run's create looks the object up again before writing. Each change runs under its own
`AttemptBudget`, re-runs included, and is not re-run once that budget is spent.

With a `Deadline` (`apply.deadline`) a change that holds its slots is started only when its
expected duration ends by the deadline; otherwise it and its dependents are *not started* and
the run ends once the changes in flight have finished. With a `Rollout` (`apply.rollout`) a ready
change waits until its group may start; once the rollout stops, no further group starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import time
from collections.abc import AsyncIterator, Callable, Mapping

from provisioner.apply.deadline import ChangeDurations, Deadline
from provisioner.apply.events import ApplyEvent, EventKind, Listener
from provisioner.apply.report import AppliedOp, Report
from provisioner.apply.rollout import Rollout
from provisioner.errors import AmbiguousWriteError, ProvisionError
from provisioner.model import Action, ApplyContext, Change, Provider, platform_of
from provisioner.model.attempts import AttemptBudget, change_budget
from provisioner.model.quota import reset_slot_release, set_slot_release
from provisioner.plan.builder import Plan
from provisioner.plan.graph import ExecutionGraph, Node


def is_rerunnable(exc: BaseException) -> bool:
    """True for the one failure worth running a change again for: a write of unknown outcome that
    the provider's lookup did not find applied. Everything transient was retried by the HTTP layer."""
    return isinstance(exc, AmbiguousWriteError)


def describe(exc: BaseException) -> str:
    """A one-line message for a failed change."""
    if isinstance(exc, ProvisionError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


DEADLINE_REACHED = "deadline reached"


class _NotStarted(Exception):
    """The change would not finish before the deadline, so it was not started."""


class _Run:
    def __init__(self, graph: ExecutionGraph, providers: Mapping[str, Provider], ctx: ApplyContext,
                 parallelism: int, limits: Mapping[str, int], emit: Listener,
                 retries: int, retry_delay: float, rerun: Callable[[BaseException], bool],
                 deadline: Deadline | None) -> None:
        self.graph, self.providers, self.ctx, self.emit = graph, providers, ctx, emit
        self.retries, self.retry_delay, self.rerun = retries, retry_delay, rerun
        self.deadline = deadline
        self.durations = ChangeDurations(graph.changes, providers) if deadline is not None else None
        self.overall = asyncio.Semaphore(max(1, parallelism))
        platforms = {platform_of(n.address) for n in graph.changes}
        self.per_platform = {p: asyncio.Semaphore(max(1, limits.get(p, parallelism))) for p in platforms}

    def event(self, kind: EventKind, node: Node, **facts: object) -> None:
        self.emit(ApplyEvent(kind, node, len(self.graph), **facts))  # type: ignore[arg-type]

    async def run(self, node: Node) -> tuple[str | None, float]:
        change = self.graph.changes[node]
        platform = platform_of(node.address)
        provider = self.providers[platform]
        started = time.monotonic()
        attempt = 1
        budget = AttemptBudget()  # every request of this change, over all its runs
        while True:
            # the platform's slot first: a node waiting for its platform holds no overall slot
            async with self.per_platform[platform], self.overall:
                if self.deadline is not None and self.durations is not None \
                        and not self.deadline.fits(self.durations.expected(node)):
                    raise _NotStarted(node.address)
                began = self.deadline.clock() if self.deadline is not None else 0.0
                self.event(EventKind.STARTED, node, attempt=attempt)
                waits = [0]  # quota waits of this node in progress (its tasks share the slots)
                token = set_slot_release(functools.partial(self._slots_released, platform, waits))
                try:
                    with change_budget(budget):
                        server_id = await provider.apply(change, self.ctx)
                    if self.deadline is not None and self.durations is not None:
                        self.durations.observe(node, self.deadline.clock() - began)
                    return server_id, time.monotonic() - started
                except Exception as exc:
                    if attempt > self.retries or budget.exhausted or not self.rerun(exc):
                        raise
                    self.event(EventKind.RETRYING, node, attempt=attempt, error=describe(exc))
                finally:
                    reset_slot_release(token)
            await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
            attempt += 1

    @contextlib.asynccontextmanager
    async def _slots_released(self, platform: str, waits: list[int]) -> AsyncIterator[None]:
        """The running node's slots, given back for a block (a client-side quota wait) and taken
        again after it, platform first as when it started; `waits` counts the node's open blocks."""
        if not waits[0]:
            self.overall.release()
            self.per_platform[platform].release()
        waits[0] += 1
        try:
            yield
        finally:
            waits[0] -= 1
            if not waits[0]:
                await self.per_platform[platform].acquire()
                await self.overall.acquire()


async def execute(
    plan_or_graph: Plan | ExecutionGraph,
    providers: Mapping[str, Provider],
    *,
    parallelism: int = 8,
    per_platform_limits: Mapping[str, int] | None = None,
    ctx: ApplyContext,
    on_event: Listener | None = None,
    retries: int = 4,
    retry_delay: float = 0.5,
    rerun: Callable[[BaseException], bool] = is_rerunnable,
    deadline: Deadline | None = None,
    rollout: Rollout | None = None,
) -> Report:
    """Apply every node of the graph; never raises for a failed change (see the `Report`).

    `retries` bounds the re-runs of one change (after `rerun(exc)`), `retry_delay` the first wait
    between them (doubling). `deadline` and `rollout` may leave changes not started
    (`Report.not_started`, `Report.stopped`)."""
    graph = plan_or_graph.graph() if isinstance(plan_or_graph, Plan) else plan_or_graph
    missing = sorted({platform_of(n.address) for n in graph.changes} - providers.keys())
    if missing:
        raise ProvisionError(f"no provider for platform(s) {', '.join(missing)}")
    if isinstance(plan_or_graph, Plan) and not ctx.changes:
        ctx.changes = {c.address: c for c in plan_or_graph.changes}
    for change in graph.changes.values():
        if change.server_id is not None:
            ctx.ids.setdefault(change.address, change.server_id)
    run = _Run(graph, providers, ctx, parallelism, per_platform_limits or {},
               on_event or (lambda _: None), retries, retry_delay, rerun, deadline)

    def waiting(change: Change, message: str) -> None:
        run.event(EventKind.WAITING, Node(change.address, change.action), detail=message)
    ctx.waiting = waiting
    report = Report(planned=len(graph))
    clock = time.monotonic()
    sorter = graph.sorter()
    blocked: dict[Node, str] = {}  # node -> the failed address it cannot run without
    unstarted: set[Node] = set()  # not started for the deadline, and what needs them
    held: list[tuple[int, Node]] = []  # a heap of ready changes waiting for their group to start
    running: dict[asyncio.Task[tuple[str | None, float]], Node] = {}
    # Finished tasks arrive here (a done callback), so a wake-up costs O(finished), not O(running):
    # asyncio.wait over thousands of waiting tasks made a large apply quadratic in CPU.
    finished_queue: asyncio.Queue[asyncio.Task[tuple[str | None, float]]] = asyncio.Queue()

    def start(node: Node) -> None:
        task = asyncio.create_task(run.run(node))
        task.add_done_callback(finished_queue.put_nowait)
        running[task] = node

    def settle(node: Node, *, applied: bool = False, failed: bool = False) -> None:
        if rollout is not None:
            rollout.done(node, applied=applied, failed=failed)
        sorter.done(node)

    try:
        while sorter.is_active():
            for node in sorter.get_ready():
                causes = sorted(blocked[p] for p in graph.predecessors.get(node, ()) if p in blocked)
                if causes:
                    blocked[node] = causes[0]
                    if node.address not in report.failed:
                        report.skipped.setdefault(node.address, causes[0])
                    run.event(EventKind.SKIPPED, node, cause=causes[0])
                    settle(node)
                elif any(p in unstarted for p in graph.predecessors.get(node, ())):
                    unstarted.add(node)
                    sorter.done(node)
                elif rollout is None or rollout.under_way(node):
                    start(node)
                else:
                    heapq.heappush(held, rollout.key(node))
            # groups are admitted in order, so the first refusal holds back every later group too
            while held and rollout is not None and rollout.may_start(held[0][1]):
                start(heapq.heappop(held)[1])
            if not running:
                if not held:
                    continue
                if rollout is None or not rollout.must_admit(held[0][1]):
                    break  # the rollout stopped: what is held and what needs it stays undone
                start(heapq.heappop(held)[1])
            finished = [await finished_queue.get()]
            while not finished_queue.empty():
                finished.append(finished_queue.get_nowait())
            for task in sorted(finished, key=lambda t: running[t]):
                node = running.pop(task)
                exc = task.exception()
                if isinstance(exc, _NotStarted):
                    unstarted.add(node)
                    report.stopped = report.stopped or DEADLINE_REACHED
                    report.deadline_reached = True
                    run.event(EventKind.NOT_STARTED, node, detail=DEADLINE_REACHED)
                    sorter.done(node)
                elif exc is not None:
                    blocked[node] = node.address
                    report.failed[node.address] = describe(exc)
                    report.skipped.pop(node.address, None)
                    run.event(EventKind.FAILED, node, error=describe(exc))
                    settle(node, failed=True)
                else:
                    server_id, seconds = task.result()
                    if node.op is Action.DELETE:
                        ctx.ids.pop(node.address, None)
                    elif server_id is not None:
                        ctx.ids[node.address] = server_id
                    report.applied.append(AppliedOp(node.address, node.op, seconds, server_id))
                    run.event(EventKind.FINISHED, node, seconds=seconds, server_id=server_id)
                    settle(node, applied=True)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    done = {op.address for op in report.applied} | report.failed.keys() | report.skipped.keys()
    left = [node for node in graph.changes if node.address not in done]
    report.not_started = sorted(node.address for node in left)
    if rollout is not None:
        if left and rollout.stopped is not None and report.stopped is None:
            report.stopped = rollout.stopped
        report.groups = rollout.results(left)
    report.seconds = time.monotonic() - clock
    return report
