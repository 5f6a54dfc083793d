"""Kind facts stay consistent with the clients' endpoint classes (the plan's quota estimate uses them)."""

from provisioner.providers.http.rate_limits import ENDPOINT_CLASSES
from provisioner.providers.insights_hub.kinds import KINDS as HUB_KINDS
from provisioner.providers.itwin_iot.kinds import KINDS as ITWIN_KINDS


def test_every_kind_names_a_known_endpoint_class_of_its_vendor() -> None:
    for spec in [*HUB_KINDS.values(), *ITWIN_KINDS.values()]:
        vendor, _, _ = ENDPOINT_CLASSES[spec.endpoint_class]
        assert vendor == spec.platform, spec.kind


def test_data_bearing_kinds_are_the_ones_holding_time_series() -> None:
    bearing = {k for k, s in {**HUB_KINDS, **ITWIN_KINDS}.items() if s.data_bearing}
    assert "insights_hub.asset" in bearing and "itwin_iot.sensor" in bearing
    assert "insights_hub.data_point_mapping" not in bearing
