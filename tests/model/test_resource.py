"""Live resources: preconditions read lazily."""

from __future__ import annotations

from provisioner.model import Deferred, LiveResource


def test_a_deferred_precondition_is_computed_once_and_only_when_read() -> None:
    calls: list[object] = []

    def digest(source: object) -> str:
        calls.append(source)
        return f"sha256:{source}"

    live = LiveResource("hub.things.a", "thing", {}, "id-1", Deferred(digest, "abc"))
    assert calls == []  # an unchanged object's precondition is never needed
    assert live.precondition_text() == "sha256:abc" == live.precondition_text()
    assert calls == ["abc"]
    assert LiveResource("hub.things.b", "thing", {}, "id-2", "7").precondition_text() == "7"
