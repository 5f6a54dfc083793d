from __future__ import annotations

import pytest

from provisioner.errors import ProvisionError
from provisioner.model import Action, Change
from provisioner.plan import Node, build_graph

C, U, D, R = Action.CREATE, Action.UPDATE, Action.DELETE, Action.REPLACE


def change(action: Action, address: str, *deps: str) -> Change:
    before = None if action is C else {"v": 1}
    after = None if action is D else {"v": 2}
    return Change(action, address, "thing", before, after, depends_on=deps,
                  server_id=None if action is C else f"sid-{address}")


def before(order: list[Node], first: Node, second: Node) -> bool:
    return order.index(first) < order.index(second)


def test_creates_and_updates_go_parents_first() -> None:
    graph = build_graph([change(C, "h.child", "h.parent"), change(U, "h.parent"), change(C, "h.other")])
    assert graph.predecessors[Node("h.child", C)] == {Node("h.parent", U)}
    assert graph.predecessors[Node("h.other", C)] == frozenset()
    assert before(graph.order(), Node("h.parent", U), Node("h.child", C))


def test_deletes_go_children_first() -> None:
    graph = build_graph([change(D, "h.parent"), change(D, "h.child", "h.parent")])
    assert graph.predecessors[Node("h.parent", D)] == {Node("h.child", D)}


def test_replace_splits_into_delete_then_create_with_dependents_around_it() -> None:
    graph = build_graph([
        change(R, "h.type"),
        change(R, "h.asset", "h.type"),
        change(C, "h.new", "h.type"),
    ])
    assert set(graph.changes) == {
        Node("h.type", D), Node("h.type", C), Node("h.asset", D), Node("h.asset", C), Node("h.new", C)
    }
    assert graph.predecessors[Node("h.type", D)] == {Node("h.asset", D)}
    assert graph.predecessors[Node("h.type", C)] == {Node("h.type", D)}
    assert graph.predecessors[Node("h.asset", C)] == {Node("h.asset", D), Node("h.type", C)}
    assert graph.predecessors[Node("h.new", C)] == {Node("h.type", C)}
    delete_part = graph.changes[Node("h.type", D)]
    create_part = graph.changes[Node("h.type", C)]
    assert (delete_part.action, delete_part.after, delete_part.server_id) == (D, None, "sid-h.type")
    assert (create_part.action, create_part.before, create_part.server_id) == (C, None, None)


def test_an_update_that_moves_away_runs_before_the_old_parents_delete() -> None:
    graph = build_graph([change(D, "h.old"), change(U, "h.child")], {"h.child": ("h.old",)})
    assert graph.predecessors[Node("h.old", D)] == {Node("h.child", U)}


def test_live_dependencies_order_deletes_when_known() -> None:
    graph = build_graph([change(D, "h.a"), change(R, "h.b", "h.x")], {"h.b": ("h.a",)})
    assert graph.predecessors[Node("h.a", D)] == {Node("h.b", D)}


def test_sorter_is_a_ready_queue_and_critical_path_counts_the_longest_chain() -> None:
    chain = [change(C, "h.a"), change(C, "h.b", "h.a"), change(C, "h.c", "h.b")]
    graph = build_graph([*chain, change(C, "h.d")])
    sorter = graph.sorter()
    assert set(sorter.get_ready()) == {Node("h.a", C), Node("h.d", C)}
    assert graph.critical_path() == 3
    assert graph.critical_path(lambda n: 2.0) == 6


def test_a_cycle_is_an_error_naming_it() -> None:
    with pytest.raises(ProvisionError, match="cycle"):
        build_graph([change(C, "h.a", "h.b"), change(C, "h.b", "h.a")])
