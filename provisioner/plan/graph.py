"""The execution graph: one node per provider call, edges from the dependency rules.

A REPLACE becomes a delete node and a create node. Rules (node waits for ...):

- a create/update waits for the create/update of every address in its `depends_on`;
- the create of a replaced address waits for its own delete;
- a delete (or replace-delete) of X waits for the deletes of objects whose live object depends on
  X, and for the updates of live dependents that move away from X (they no longer need it).

Live dependencies come from `live_depends_on` when known, else from the change's `depends_on`
(for deletes and replaces, whose live and desired dependencies normally agree).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from graphlib import CycleError, TopologicalSorter
from typing import NamedTuple

from provisioner.errors import ProvisionError
from provisioner.model import Action, Change


class Node(NamedTuple):
    """One provider call: `op` is CREATE, UPDATE or DELETE (never REPLACE)."""

    address: str
    op: Action

    def __str__(self) -> str:
        return f"{self.op.value} {self.address}"


@dataclass(frozen=True)
class ExecutionGraph:
    """Nodes with the change each one passes to its provider, and each node's predecessors."""

    changes: Mapping[Node, Change]
    predecessors: Mapping[Node, frozenset[Node]]

    def __len__(self) -> int:
        return len(self.changes)

    def in_order(self, changes: Sequence[Change]) -> ExecutionGraph:
        """This graph with its nodes listed in the order of `changes` (as `build_graph(changes)` lists
        them), without building it again: the executor starts ready nodes in that order."""
        nodes = [node for change in changes for node in _nodes_of(change)]
        return ExecutionGraph({n: self.changes[n] for n in nodes},
                              {n: self.predecessors[n] for n in nodes if n in self.predecessors})

    def sorter(self) -> TopologicalSorter[Node]:
        """A fresh, prepared `TopologicalSorter` for a ready-queue walk (`get_ready()`/`done()`)."""
        sorter: TopologicalSorter[Node] = TopologicalSorter()
        for node in self.changes:
            sorter.add(node, *self.predecessors.get(node, ()))
        sorter.prepare()
        return sorter

    def order(self, key: Callable[[Node], tuple[object, ...]] | None = None) -> list[Node]:
        """A deterministic topological order; among ready nodes the smallest `key` goes first."""
        sort_key = key or (lambda n: (n.address, n.op.value))
        successors: dict[Node, list[Node]] = {n: [] for n in self.changes}
        waiting = {n: len(self.predecessors.get(n, ())) for n in self.changes}
        for node, preds in self.predecessors.items():
            for pred in preds:
                successors[pred].append(node)
        heap = [(sort_key(n), n) for n, count in waiting.items() if count == 0]
        heapq.heapify(heap)
        result: list[Node] = []
        while heap:
            _, node = heapq.heappop(heap)
            result.append(node)
            for succ in successors[node]:
                waiting[succ] -= 1
                if waiting[succ] == 0:
                    heapq.heappush(heap, (sort_key(succ), succ))
        return result

    def critical_path(self, weight: Callable[[Node], float] = lambda _: 1.0) -> float:
        """The heaviest chain of dependent nodes (the least time even unlimited concurrency needs)."""
        finish: dict[Node, float] = {}
        for node in self.order():
            start = max((finish[p] for p in self.predecessors.get(node, ())), default=0.0)
            finish[node] = start + weight(node)
        return max(finish.values(), default=0.0)


def _nodes_of(change: Change) -> list[Node]:
    if change.action is not Action.REPLACE:
        return [Node(change.address, change.action)]
    return [Node(change.address, Action.DELETE), Node(change.address, Action.CREATE)]


def _split(change: Change) -> list[tuple[Node, Change]]:
    if change.action is not Action.REPLACE:
        return [(Node(change.address, change.action), change)]
    delete = replace(change, action=Action.DELETE, after=None, fields=())
    create = replace(change, action=Action.CREATE, before=None, server_id=None, precondition=None)
    return [(Node(change.address, Action.DELETE), delete), (Node(change.address, Action.CREATE), create)]


def build_graph(
    changes: Sequence[Change], live_depends_on: Mapping[str, Sequence[str]] | None = None
) -> ExecutionGraph:
    """Build the graph of `changes`; a dependency cycle is a `ProvisionError` naming it.

    Every graph is built here, once per plan (`Plan.graph()`): call it as `graph.build_graph`."""
    live_deps = live_depends_on or {}
    nodes: dict[Node, Change] = {}
    up: dict[str, Node] = {}
    down: dict[str, Node] = {}
    for change in changes:
        for node, part in _split(change):
            nodes[node] = part
            (down if node.op is Action.DELETE else up)[node.address] = node
    preds: dict[Node, set[Node]] = {n: set() for n in nodes}
    for change in changes:
        address = change.address
        if address in up:
            for dep in change.depends_on:
                if dep in up and dep != address:
                    preds[up[address]].add(up[dep])
        if change.action is Action.REPLACE:
            preds[up[address]].add(down[address])
        old_deps: Iterable[str] = live_deps.get(address, change.depends_on)
        if change.action is Action.UPDATE:
            old_deps = live_deps.get(address, ())
        elif change.action is Action.CREATE:
            old_deps = ()
        for dep in old_deps:
            if dep in down and dep != address:
                own = down.get(address) or up[address]
                preds[down[dep]].add(own)
    graph = ExecutionGraph(nodes, {n: frozenset(p) for n, p in preds.items()})
    try:
        graph.sorter()
    except CycleError as exc:
        cycle = " -> ".join(str(n) for n in exc.args[1])
        raise ProvisionError(f"the planned changes depend on each other in a cycle: {cycle}") from exc
    return graph
