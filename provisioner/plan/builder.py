"""Build a `Plan`: classify every address, propagate replaces, select targets, annotate, order.

Classification per address (desired resource D, live managed object L):

- D and no L: CREATE; L and no D: DELETE;
- D and L: REPLACE when a changed path hits the kind's `replace_fields`/`replace_paths`, else
  UPDATE when attrs differ or L is adopted (the update sets the owner marker), else unchanged.

Propagation (to a fixpoint): when X is replaced, live desired dependents of X are replaced too;
when X's live object goes away (delete or replace), every live object depending on it must go as
well: one not desired is deleted anyway, a desired one is replaced unless it is updated and no
longer depends on X (that update moves it away and runs before X's delete).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from provisioner.errors import ProvisionError
from provisioner.model import (
    Action,
    Change,
    FieldChange,
    KindSpec,
    LiveResource,
    LiveState,
    Provider,
    Resource,
    UnmanagedObject,
    platform_of,
    select,
)
from provisioner.model.resource import JSON
from provisioner.plan import graph as graphs
from provisioner.plan.diff import diff_attrs
from provisioner.plan.estimate import (
    DEFAULT_CONCURRENCY,
    DEFAULT_LATENCY,
    Estimate,
    RateLimits,
    estimate_plan,
)
from provisioner.plan.graph import ExecutionGraph, Node

# what a person reads next to the typed `Change.adopt` / `Change.protected` (nothing decides on these)
ADOPT_REASON = "adopt: sets this stack's owner marker on an existing object"
PROTECT_REASON = "protected (protect: true): apply refuses to delete or replace it"
PREVENT_DESTROY_REASON = ("lifecycle.prevent_destroy (recorded in the owner marker): apply refuses to delete "
                          "or replace it without --allow-destroy for this address")
DESTRUCTIVE = (Action.DELETE, Action.REPLACE)


@dataclass(frozen=True)
class Plan:
    """What apply would do.

    `changes` are in dependency order (deletes children first, then creates/updates/replaces
    parents first; ties by kind rank, then address). `managed` counts live managed objects per
    platform (the base of the safety thresholds). `protected` holds the addresses whose delete
    or replace touches a `protect: true` resource. `live_depends_on` keeps the live objects'
    dependencies, which order deletes (a `Change` carries only one `depends_on`). The plan holds
    its execution graph (`graph()`): `build_plan` builds it once, a plan read from a file on first
    use; `dataclasses.replace` drops it, so a changed plan never runs a stale graph.
    """

    changes: tuple[Change, ...] = ()
    unchanged: int = 0
    managed: Mapping[str, int] = field(default_factory=dict)
    unmanaged: Mapping[str, tuple[UnmanagedObject, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    protected: frozenset[str] = frozenset()
    live_depends_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    estimate: Estimate = field(default_factory=Estimate)
    _graph: ExecutionGraph | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: Action, platform: str | None = None) -> int:
        """How many changes of `action` (on `platform`, when given)."""
        return sum(
            1
            for c in self.changes
            if c.action is action and (platform is None or platform_of(c.address) == platform)
        )

    def graph(self) -> ExecutionGraph:
        """The execution graph of this plan's changes (built once)."""
        if self._graph is None:
            self._hold(graphs.build_graph(self.changes, self.live_depends_on))
        assert self._graph is not None
        return self._graph

    def _hold(self, graph: ExecutionGraph) -> None:
        object.__setattr__(self, "_graph", graph)  # frozen: set once, by the builder or graph()


def _segments_match(path: str, pattern: str) -> str | None:
    """The path segment naming the field when `pattern` (dotted, `*` per segment) prefixes `path`."""
    have, want = path.split("."), pattern.split(".")
    if len(have) < len(want) or not all(fnmatchcase(h, w) for h, w in zip(have, want, strict=False)):
        return None
    return have[len(want) - 1]


def replace_reasons(fields: Sequence[FieldChange], spec: KindSpec) -> tuple[str, ...]:
    """One reason per changed path that the kind cannot change in place."""
    reasons: list[str] = []
    for change in fields:
        top = change.path.split(".", 1)[0]
        name = top if top in spec.replace_fields else None
        for pattern in spec.replace_paths:
            name = name or _segments_match(change.path, pattern)
        if name is not None:
            name = dict(spec.vendor_names).get(name, name)
            reasons.append(f"{name} changed ({change.path}) forces replacement")
    return tuple(dict.fromkeys(reasons))


def keep_ignored(desired: Mapping[str, JSON], live: Mapping[str, JSON],
                 paths: Sequence[str]) -> dict[str, JSON]:
    """`desired` with the live value at each dotted path of `lifecycle.ignore_changes` (removed
    where the live object has none), so those paths never differ and an update writes the live
    value back as it is."""
    result: dict[str, JSON] = copy.deepcopy(dict(desired))
    for path in paths:
        parts = path.split(".")
        source: JSON = live
        for part in parts:
            source = source.get(part, _ABSENT) if isinstance(source, Mapping) else _ABSENT
        target: JSON = result
        for part in parts[:-1]:
            if not isinstance(target, dict):
                break
            if not isinstance(target.get(part), dict):
                if source is _ABSENT:
                    break
                target[part] = {}
            target = target[part]
        else:
            if isinstance(target, dict):
                if source is _ABSENT:
                    target.pop(parts[-1], None)
                else:
                    target[parts[-1]] = copy.deepcopy(source)
    return result


_ABSENT: JSON = object()


class _Builder:
    def __init__(
        self,
        desired: Sequence[Resource],
        live: Mapping[str, LiveState],
        providers: Mapping[str, Provider],
    ) -> None:
        self.providers = providers
        self.kinds = {f"{p}.{k}": spec for p, prov in providers.items() for k, spec in prov.kinds.items()}
        self.wanted: dict[str, Resource] = {}
        for resource in desired:
            if resource.external:
                continue  # used, not owned: the provider checked it against the live object
            if resource.address in self.wanted:
                raise ProvisionError(f"{resource.address}: defined more than once in the desired state")
            self.wanted[resource.address] = resource
        self.current: dict[str, LiveResource] = {
            a: lr for state in live.values() for a, lr in state.managed.items()
        }
        for address, resource in list(self.wanted.items()):
            old = self.current.get(address)
            if resource.ignore_changes and old is not None:
                kept = keep_ignored(resource.attrs, old.attrs, resource.ignore_changes)
                self.wanted[address] = replace(resource, attrs=kept)
        self.unchanged = {a: pair for state in live.values() for a, pair in state.unchanged.items()}
        self.draft: dict[str, Change] = {}
        self.forced_by: dict[str, str] = {}

    def spec(self, address: str, kind: str) -> KindSpec:
        platform = platform_of(address)
        if platform not in self.providers:
            raise ProvisionError(f"{address}: no provider for platform {platform!r}")
        found = self.kinds.get(f"{platform}.{kind}")
        if found is None:
            raise ProvisionError(f"{address}: provider {platform!r} declares no kind {kind!r}")
        return found

    def classify(self) -> None:
        valid = {tuple(k.split(".", 1)) for k in self.kinds}  # (platform, kind) pairs declared
        for address in sorted(self.wanted.keys() | self.current.keys()):
            res, old = self.wanted.get(address), self.current.get(address)
            if res is not None and old is None:
                self.spec(address, res.kind)
                self.draft[address] = Change(
                    Action.CREATE, address, res.kind, None, dict(res.attrs), depends_on=res.depends_on
                )
            elif old is not None and res is None:
                self.spec(address, old.kind)
                self.draft[address] = Change(
                    Action.DELETE, address, old.kind, dict(old.attrs), None,
                    server_id=old.server_id, precondition=old.precondition_text(), depends_on=old.depends_on,
                )
            elif res is not None and old is not None:
                if (platform_of(address), res.kind) not in valid:
                    self.spec(address, res.kind)  # raises: no such platform or kind
                if old.adopt:
                    fields = diff_attrs(old.attrs, res.attrs)
                else:
                    compared = self.unchanged.get(address)
                    if compared is not None and compared[0] is old.attrs and compared[1] is res.attrs:
                        continue  # the provider found these very objects equal while reading
                    fields = diff_attrs(old.attrs, res.attrs)
                    if not fields:
                        continue  # unchanged: most of a converged fleet
                reasons = replace_reasons(fields, self.spec(address, res.kind))
                if reasons:
                    self.draft[address] = self.replacement(address, reasons)
                elif fields or old.adopt:
                    self.draft[address] = Change(
                        Action.UPDATE, address, res.kind, dict(old.attrs), dict(res.attrs), fields,
                        server_id=old.server_id, precondition=old.precondition_text(),
                        depends_on=res.depends_on, reasons=self.adopt_reasons(old),
                        adopt=old.adopt, moved_from=old.moved_from,
                    )

    @staticmethod
    def adopt_reasons(old: LiveResource) -> tuple[str, ...]:
        if old.moved_from is not None:
            return (f"moved from {old.moved_from} (moved:): keeps its server id {old.server_id}; its owner "
                    "marker gets the new key",)
        return (ADOPT_REASON,) if old.adopt else ()

    def replacement(self, address: str, reasons: tuple[str, ...]) -> Change:
        res, old = self.wanted[address], self.current[address]
        earlier = self.draft.get(address)
        return Change(
            Action.REPLACE, address, res.kind, dict(old.attrs), dict(res.attrs),
            diff_attrs(old.attrs, res.attrs),
            server_id=old.server_id, precondition=old.precondition_text(), depends_on=res.depends_on,
            reasons=(*(earlier.reasons if earlier else ()), *reasons),
            adopt=earlier.adopt if earlier else False,
        )

    def propagate(self) -> None:
        going = sorted(a for a, c in self.draft.items() if c.action in DESTRUCTIVE)
        if not going:
            return
        desired_dependents: dict[str, list[str]] = {}
        for res in self.wanted.values():
            for dep in res.depends_on:
                desired_dependents.setdefault(dep, []).append(res.address)
        live_dependents: dict[str, list[str]] = {}
        for old in self.current.values():
            for dep in old.depends_on:
                live_dependents.setdefault(dep, []).append(old.address)
        while going:
            cause = going.pop(0)
            replaced = self.draft[cause].action is Action.REPLACE
            verb = "replaced" if replaced else "deleted"
            candidates = [*(desired_dependents.get(cause, []) if replaced else []),
                          *live_dependents.get(cause, [])]
            for dependent in sorted(set(candidates)):
                if dependent not in self.current or dependent not in self.wanted:
                    continue  # a create follows the new object; an undesired one is deleted anyway
                existing = self.draft.get(dependent)
                if existing is not None and existing.action is Action.REPLACE:
                    continue
                moves_away = cause not in self.wanted[dependent].depends_on
                if existing is not None and existing.action is Action.UPDATE and moves_away:
                    continue
                self.draft[dependent] = self.replacement(dependent, (f"replaced because {cause} is {verb}",))
                self.forced_by[dependent] = cause
                going.append(dependent)

    def choose(self, targets: Sequence[str], excludes: Sequence[str]) -> set[str]:
        everything = self.wanted.keys() | self.current.keys()
        chosen = select(everything, targets, excludes) if targets or excludes else set(everything)
        problems: list[str] = []
        for address in sorted(chosen & self.draft.keys()):
            change = self.draft[address]
            if change.action in (Action.CREATE, Action.REPLACE):
                missing = [
                    d for d in change.depends_on
                    if d not in chosen and d in self.draft and self.draft[d].action is Action.CREATE
                ]
                if missing:
                    problems.append(
                        f"{address} depends on {', '.join(missing)}, which this plan would create "
                        f"but which is not selected; add --target {' --target '.join(missing)}"
                    )
        for dependent, cause in sorted(self.forced_by.items()):
            if cause in chosen and dependent not in chosen:
                problems.append(
                    f"{cause} cannot change alone: {dependent} must be replaced with it but is not selected"
                )
        if problems:
            raise ProvisionError("\n".join(["the selected changes are incomplete:", *problems]))
        return chosen

    def annotate(self, changes: list[Change], live: Mapping[str, LiveState]) -> list[Change]:
        by_platform: dict[str, list[Change]] = {}
        for change in changes:
            by_platform.setdefault(platform_of(change.address), []).append(change)
        result: list[Change] = []
        for platform, group in sorted(by_platform.items()):
            result.extend(self.providers[platform].annotate(group, live.get(platform, LiveState())))
        seen: set[str] = set()
        for change in result:
            if change.address in seen:
                raise ProvisionError(f"{change.address}: more than one change planned (provider annotate)")
            seen.add(change.address)
        return result

    def mark(self, change: Change) -> Change:
        spec = self.spec(change.address, change.kind)
        if change.action in DESTRUCTIVE and spec.data_bearing and not change.data_loss:
            what = f"data stored under {change.address}"
            what += f" ({change.server_id})" if change.server_id else ""
            change = replace(change, data_loss=(what,))
        if change.data_loss and not change.data_destructive:
            change = replace(change, data_destructive=True)
        res = self.wanted.get(change.address)
        protect = res is not None and res.protect
        if change.action in DESTRUCTIVE and protect and not change.protected:
            change = replace(change, protected=True, reasons=(*change.reasons, PROTECT_REASON))
        old = self.current.get(change.address)
        kept = (res is not None and res.prevent_destroy) or (old is not None and old.prevent_destroy)
        if change.action in DESTRUCTIVE and kept and not change.prevent_destroy:
            change = replace(change, prevent_destroy=True, reasons=(*change.reasons, PREVENT_DESTROY_REASON))
        return change

    def order(self, changes: list[Change],
              live_deps: Mapping[str, tuple[str, ...]]) -> tuple[list[Change], ExecutionGraph]:
        """The changes in dependency order, and their graph (nodes listed in that order)."""
        graph = graphs.build_graph(changes, live_deps)
        by_address = {c.address: c for c in changes}

        def key(node: Node) -> tuple[object, ...]:
            rank = self.spec(node.address, by_address[node.address].kind).rank
            deleting = node.op is Action.DELETE
            return (0 if deleting else 1, -rank if deleting else rank, node.address)

        position: dict[str, int] = {}
        for index, node in enumerate(graph.order(key)):
            if node.op is not Action.DELETE or node.address not in position:
                position[node.address] = index
        ordered = sorted(changes, key=lambda c: position[c.address])
        return ordered, graph.in_order(ordered)


def build_plan(
    desired: Sequence[Resource],
    live: Mapping[str, LiveState],
    providers: Mapping[str, Provider],
    *,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    rate_limits: RateLimits | None = None,
    latency: float = DEFAULT_LATENCY,
    concurrency: Mapping[str, int] | int = DEFAULT_CONCURRENCY,
    time_scale: Mapping[str, float] | float = 1.0,
) -> Plan:
    """Diff `desired` against `live` (per platform) and return the ordered, annotated plan."""
    builder = _Builder(desired, live, providers)
    builder.classify()
    builder.propagate()
    chosen = builder.choose(targets, excludes)
    selected = [c for a, c in sorted(builder.draft.items()) if a in chosen]
    changes = [builder.mark(c) for c in builder.annotate(selected, live)]
    live_deps = {a: lr.depends_on for a, lr in builder.current.items() if lr.depends_on}
    changes, graph = builder.order(changes, live_deps)
    touched = {c.address for c in changes}
    warnings: list[str] = [w for _, state in sorted(live.items()) for w in state.warnings]
    outside = len(builder.draft.keys() - chosen)
    if outside:
        warnings.append(f"partial plan: {outside} change(s) outside --target/--exclude are not included")
    plan = Plan(
        changes=tuple(changes),
        unchanged=len(chosen - touched),
        managed={p: len(state.managed) for p, state in sorted(live.items())},
        unmanaged={p: tuple(state.unmanaged) for p, state in sorted(live.items())},
        warnings=tuple(warnings),
        protected=frozenset(c.address for c in changes if c.protected),
        live_depends_on={a: d for a, d in live_deps.items() if a in touched},
        estimate=estimate_plan(
            graph, builder.kinds, rate_limits=rate_limits, latency=latency, concurrency=concurrency,
            time_scale=time_scale, overhead={p: state.overhead_calls for p, state in live.items()},
        ),
    )
    plan._hold(graph)
    return plan
