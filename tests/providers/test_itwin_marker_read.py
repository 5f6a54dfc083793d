"""Reading iTwin connections by their marker device: twins, other stacks, devices under twins."""

from __future__ import annotations

from typing import Any

from provisioner.model import LiveState
from provisioner.providers.cooperative import run_all
from provisioner.providers.itwin_iot import identity
from provisioner.providers.itwin_iot.bodies import new_node_request
from provisioner.providers.itwin_iot.live import interpret_steps

JSONDict = dict[str, Any]
CONN = "itwin_iot.connections.north"


def node(segment: str, name: str = "Data Source API Import") -> JSONDict:
    node_id = f"/api/{segment}/node"
    return {"id": node_id, "type": "DYNAMIC", "props": {"SERIAL_NO": segment, "NAME": f"{name} {segment}",
                                                        "NODE_ID": node_id}}


def device(node_id: str, segment: str, serial: str) -> JSONDict:
    return {"id": f"{node_id}/dynamic/{segment}/device", "type": "DYNAMIC",
            "props": {"SERIAL_NO": serial, "NODE_ID": node_id, "INTEGRATION_ID": "IMPORT_DEVICE_SDE"}}


def read(nodes: list[JSONDict], devices: list[JSONDict], stack: str = "s") -> LiveState:
    state = LiveState()
    run_all(interpret_steps(nodes, devices, [], [], stack, state))
    return state


def test_the_creating_request_carries_only_changestate_and_the_marker_at_node_level() -> None:
    body = new_node_request([identity.marker_entry("s", "north")])
    assert set(body["integration"]) == {"changeState", "devices"}
    (marker,) = body["integration"]["devices"]
    assert marker["refId"] == "iac:s/north" and "sensors" not in marker
    assert marker["props"]["INTEGRATION_ID"] == "IMPORT_DEVICE_SDE"


def test_a_node_is_a_connection_by_its_marker_device_not_its_serial() -> None:
    a = node("AAAAAA")
    # a node whose own SERIAL_NO looks like a refId is not claimed: node serials are the service's
    b = {**node("BBBBBB"), "props": {**node("BBBBBB")["props"], "SERIAL_NO": "iac:s/south"}}
    devices = [device(a["id"], "D1", "iac:s/north"), device(a["id"], "D2", "iac:s/north/logger")]
    state = read([a, b], devices)
    assert state.managed[CONN].server_id == a["id"]
    assert state.managed[f"{CONN}.devices.logger"].depends_on == (CONN,)
    assert "itwin_iot.connections.south" not in state.managed
    assert [u.server_id for u in state.unmanaged] == [b["id"]]
    assert len(state.managed) == 2  # the marker itself is identity, not a managed device


def test_another_stacks_marker_leaves_the_node_unmanaged() -> None:
    a = node("AAAAAA")
    state = read([a], [device(a["id"], "D1", "iac:other/north")])
    assert not state.managed and [u.server_id for u in state.unmanaged] == [a["id"]]


def test_twins_keep_the_smallest_node_and_report_the_other_with_its_devices() -> None:
    first, twin = node("111111"), node("222222")
    devices = [device(twin["id"], "T1", "iac:s/north"), device(twin["id"], "T2", "iac:s/north/logger"),
               device(first["id"], "F1", "iac:s/north"), device(first["id"], "F2", "iac:s/north/logger")]
    state = read([twin, first], devices)
    assert state.managed[CONN].server_id == first["id"]
    assert state.managed[f"{CONN}.devices.logger"].server_id == f"{first['id']}/dynamic/F2/device"
    assert [u.server_id for u in state.unmanaged] == [twin["id"]]
