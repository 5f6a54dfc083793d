from provisioner.model import address_matches, select


def test_exact_prefix_and_glob() -> None:
    a = "itwin_iot.connections.north.devices.logger-2.sensors.tilt-1"
    assert address_matches(a, a)
    assert address_matches(a, "itwin_iot.connections.north")
    assert not address_matches(a, "itwin_iot.connections.nor")
    assert address_matches("insights_hub.assets.site-7", "insights_hub.assets.site-*")
    assert not address_matches("insights_hub.agents.site-7", "insights_hub.assets.*")


def test_select_targets_then_excludes() -> None:
    addrs = ["insights_hub.assets.a", "insights_hub.assets.b", "itwin_iot.connections.n"]
    assert select(addrs) == set(addrs)
    assert select(addrs, targets=["insights_hub"]) == {"insights_hub.assets.a", "insights_hub.assets.b"}
    assert select(addrs, targets=["insights_hub"], excludes=["*.b"]) == {"insights_hub.assets.a"}
