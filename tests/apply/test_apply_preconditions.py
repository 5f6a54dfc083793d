from __future__ import annotations

import pytest
from engine_fakes import FakeStore, plan_for, providers_for, res

from provisioner.apply import StalePlanError, check_preconditions


def setup() -> tuple[FakeStore, list]:  # type: ignore[type-arg]
    store = FakeStore()
    store.put("hub.assets.edit", "assets", {"name": "old"})
    store.put("hub.assets.gone", "assets", {"name": "gone"})
    store.put("hub.assets.same", "assets", {"name": "same"})
    desired = [res("hub.assets.edit", "assets", name="new"), res("hub.assets.same", "assets", name="same"),
               res("hub.assets.new", "assets", name="n")]
    return store, desired


async def test_fresh_plan_passes_and_reads_each_touched_object_once() -> None:
    store, desired = setup()
    plan = plan_for(store, desired)
    providers = providers_for(store)
    store.touch("hub.assets.same", name="someone else")  # not touched by the plan
    await check_preconditions(plan, providers)
    assert providers["hub"].precondition_reads == 2


async def test_stale_plan_is_refused_naming_the_changed_objects_and_nothing_is_written() -> None:
    store, desired = setup()
    plan = plan_for(store, desired)
    store.touch("hub.assets.edit", name="edited meanwhile")
    del store.objects["hub.assets.gone"]
    with pytest.raises(StalePlanError) as caught:
        await check_preconditions(plan, providers_for(store))
    assert set(caught.value.stale) == {"hub.assets.edit", "hub.assets.gone"}
    assert caught.value.stale["hub.assets.gone"] == "no longer exists"
    assert "hub.assets.edit: changed since the plan" in caught.value.message
    assert caught.value.exit_code == 1
    assert store.writes == []
