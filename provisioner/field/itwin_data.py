"""iTwin IoT observations for the field commands, on the provisioning client's HTTP session:
`POST /api/data/upload` (the seed's "Upload Sensor Observations", L3053-L3107) for `simulate` and
the raw-data query for `check`. Query Raw Data is documented on api.bentley.com as
`POST /sensor-data/data/observations` with `{sensorId, startDate, endDate}`; the client asks the
configured iiot host at `POST /api/data/observations`, its pair of `/api/data/upload` (an inference,
switchable in the sandbox). Answers are read oldest first; a full page is read on from its last
timestamp."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.session import Session

Json = dict[str, Any]
UPLOAD_BATCH = 500  # observations per upload request (the service documents no maximum)
OBSERVATION_PAGE = 1000  # the most one query answers (undocumented; the sandbox's default)
MAX_PAGES = 1000
_JSON = {"Accept": "application/json"}


class ItwinData:
    """Observation upload and query; every call counts in the wrapped client's stats."""

    def __init__(self, itwin: ItwinIotClient, project: str) -> None:
        self.itwin = itwin
        self.project = project

    async def upload(self, observations: Sequence[Json]) -> int:
        """Upload `{sensorId, timestamp, values}` in batches; returns the number of requests."""
        requests = 0
        for start in range(0, len(observations), UPLOAD_BATCH):
            batch = list(observations[start:start + UPLOAD_BATCH])
            await self.itwin._http.request_json(
                "POST", "/api/data/upload", endpoint_class="iot.data.upload", headers=_JSON,
                params={"projectIds": self.project}, json={"observations": batch}, idempotent=False)
            requests += 1
        return requests

    async def observations(self, sensor_id: str, start: str) -> list[Json]:
        """Every observation of one sensor from `start` (inclusive), oldest first."""
        found: dict[tuple[str, str], Json] = {}
        since = start
        for _ in range(MAX_PAGES):
            body = await self.itwin._http.request_json(
                "POST", "/api/data/observations", endpoint_class="iot.data.observations", headers=_JSON,
                params={"projectIds": self.project}, json={"sensorId": sensor_id, "startDate": since},
                idempotent=True)
            page = body.get("observations") if isinstance(body, dict) else None
            items = [o for o in page or [] if isinstance(o, dict) and isinstance(o.get("timestamp"), str)]
            for item in items:
                found[(str(item["timestamp"]), repr(sorted((item.get("values") or {}).items())))] = item
            if len(items) < OBSERVATION_PAGE or str(items[-1]["timestamp"]) == since:
                break
            since = str(items[-1]["timestamp"])
        return list(found.values())


def itwin_data(session: Session, project: str | None) -> ItwinData | None:
    """Observation access for the session's iTwin IoT project; None without one."""
    return ItwinData(session.itwin, project) if session.itwin is not None and project else None
