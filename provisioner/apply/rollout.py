"""Staged rollouts: apply a plan group by group (a site per group), canary first, stop on failures.

Groups are given per address; `apply --group-by site` uses `provisioner.render.sites` (the grouping
PR comments use): a top-level asset with its subtree and agents, an iTwin connection with its
devices, and `(types)` for the shared types (`TYPES`, the name any shared group must carry).
Groups are ordered so that a group's dependencies come first: the types, then by the site's key,
so the two halves of one site (`assets.site-1`, `connections.site-1`) follow each other.

- The types group goes first, alone (every site needs it); it is not one of the canary groups.
- `canary` N: the first N site groups run, and nothing else starts until they have finished;
  if any of them failed, no further group starts.
- After the canary, at most `wave_size` groups are in flight at once, in order.
- `max_failures` P: once more than P% of all groups have failed, no further group starts.

A group is *done* when all its changes applied, *failed* when one of them failed, *skipped* when
one needed a change that failed in another group, *not started* when none of them ran; a group
cut off part-way (a deadline) is *unfinished*.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from provisioner.plan.graph import ExecutionGraph, Node

TYPES = "(types)"
"""The shared group every other needs (`provisioner.render.sites.TYPES`): it goes first, alone."""

GROUPINGS = ("site",)
"""The groupings `apply --group-by` accepts."""


@dataclass(frozen=True)
class RolloutPolicy:
    """What the user asked for: the grouping, the canary size, the failure budget, the wave size."""

    group_by: str = "site"
    canary: int = 0
    max_failures: float | None = None  # percent of all groups
    wave_size: int = 1


@dataclass(frozen=True)
class GroupResult:
    """One group's outcome in the apply report."""

    name: str
    status: str  # done | failed | skipped | unfinished | not started
    changes: int
    applied: int
    failed: int


def group_order(groups: Mapping[Node, str], graph: ExecutionGraph) -> list[str]:
    """Groups so that each one's dependencies (by the graph's edges) come first, else by site key
    (`site-1` of `assets.site-1`) and name; the types group first. A cycle between groups falls
    back to that order for what remains."""
    names = set(groups.values())
    needs: dict[str, set[str]] = {g: set() for g in names}
    for node, preds in graph.predecessors.items():
        for pred in preds:
            a, b = groups.get(pred), groups.get(node)
            if a is not None and b is not None and a != b:
                needs[b].add(a)

    def rank(group: str) -> tuple[bool, str, str]:
        return group != TYPES, group.partition(".")[2], group

    ready = [rank(g) for g in names if not needs[g]]
    heapq.heapify(ready)
    order: list[str] = []
    while len(order) < len(names):
        if not ready:  # a cycle: take the first remaining group
            first = min((g for g in names if g not in order), key=rank)
            heapq.heappush(ready, rank(first))
            for g in names:
                needs[g].discard(first)
        group = heapq.heappop(ready)[2]
        if group in order:
            continue
        order.append(group)
        for other in names:
            if group in needs[other]:
                needs[other].discard(group)
                if not needs[other] and other not in order:
                    heapq.heappush(ready, rank(other))
    return order


class Rollout:
    """Decides when the executor may start a change of a group; records what each group did."""

    def __init__(self, policy: RolloutPolicy, graph: ExecutionGraph, groups: Mapping[str, str]) -> None:
        """`groups` maps each change's address to its group."""
        self.policy = policy
        self.group_of = {node: groups[node.address] for node in graph.changes}
        self.order = group_order(self.group_of, graph)
        self.rank = {g: i for i, g in enumerate(self.order)}
        self.total = {g: 0 for g in self.order}
        for group in self.group_of.values():
            self.total[group] += 1
        self.canary = [g for g in self.order if g != TYPES][:max(0, policy.canary)]
        self.admitted: set[str] = set()
        self.flying: set[str] = set()  # admitted groups with changes not yet done
        self.left = dict(self.total)  # changes not yet done, per group
        self.applied = {g: 0 for g in self.order}
        self.failed: dict[str, int] = {g: 0 for g in self.order}
        self.skipped = {g: 0 for g in self.order}
        self.failed_groups: list[str] = []  # in the order they failed
        self.stopped: str | None = None

    def key(self, node: Node) -> tuple[int, Node]:
        """Sort key: a lower group's changes are offered first."""
        return self.rank[self.group_of[node]], node

    def under_way(self, node: Node) -> bool:
        """True when `node`'s group has been admitted (its changes start as they become ready)."""
        return self.group_of[node] in self.admitted

    def _admit(self, group: str) -> None:
        self.admitted.add(group)
        if self.left[group]:
            self.flying.add(group)

    def may_start(self, node: Node) -> bool:
        """True when `node`'s group is under way or may start now (which admits it). Offered groups
        in `key` order, a refusal holds for every later group until a change finishes."""
        group = self.group_of[node]
        if group in self.admitted:
            return True
        if self.stopped is not None:
            return False
        flying = self.flying
        if TYPES in self.total and TYPES not in self.admitted:
            ok = group == TYPES  # the shared types first, alone
        elif TYPES in flying:
            ok = False
        elif any(g not in self.admitted for g in self.canary):
            ok = group in self.canary  # the canary groups start together
        elif any(self.left[g] for g in self.canary):
            ok = False  # nothing else until every canary group has finished
        else:
            ok = len(flying) < max(1, self.policy.wave_size)
        if ok:
            self._admit(group)
        return ok

    def must_admit(self, node: Node) -> bool:
        """Nothing is in flight and nothing was admitted: start `node`'s group anyway unless the
        rollout stopped (so a dependency between groups never stalls the run)."""
        if self.stopped is not None or self.flying:
            return False
        self._admit(self.group_of[node])
        return True

    def done(self, node: Node, *, applied: bool, failed: bool) -> None:
        """Record one finished (applied, failed or skipped) change and decide whether to stop."""
        group = self.group_of[node]
        self.left[group] -= 1
        if not self.left[group]:
            self.flying.discard(group)
        self.applied[group] += applied
        self.skipped[group] += not applied and not failed
        if failed and not self.failed[group]:
            self.failed_groups.append(group)
        self.failed[group] += failed
        if self.stopped is not None:
            return
        failed_groups = self.failed_groups
        canary_failed = [g for g in failed_groups if g in self.canary or g == TYPES]
        if canary_failed and self.canary:
            self.stopped = f"canary failed: group {canary_failed[0]}"
        elif self.policy.max_failures is not None and failed_groups and \
                len(failed_groups) * 100 > self.policy.max_failures * len(self.order):
            self.stopped = (f"more than {self.policy.max_failures:g}% of the groups failed "
                            f"({len(failed_groups)} of {len(self.order)}: {', '.join(failed_groups[:5])})")

    def results(self, not_started: Iterable[Node] = ()) -> list[GroupResult]:
        """Every group's outcome, in rollout order."""
        untouched = {g: 0 for g in self.order}
        for node in not_started:
            untouched[self.group_of[node]] += 1
        out = []
        for g in self.order:
            if self.failed[g]:
                status = "failed"
            elif self.skipped[g]:
                status = "skipped"  # a change needed one that failed in another group
            elif untouched[g] == self.total[g] and not self.applied[g]:
                status = "not started"
            elif self.applied[g] == self.total[g]:
                status = "done"
            else:
                status = "unfinished"
            out.append(GroupResult(g, status, self.total[g], self.applied[g], self.failed[g]))
        return out
