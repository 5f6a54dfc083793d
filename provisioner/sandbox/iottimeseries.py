"""IoT Time Series v3 read: `GET /api/iottimeseries/v3/timeseries/{entityId}/{propertySetName}`.

Without `from`/`to` it answers the latest record (mindconnect-nodejs `TimeSeriesClient.GetTimeSeries`:
"Returns the latest value if no range is provided"); with a range, records with from < _time <= to,
oldest first, at most `limit` (default and maximum 2000). `select` keeps only the named variables.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.exchange import normal_time
from provisioner.sandbox.handlers import ih_route, json_response
from provisioner.sandbox.mindconnect import MappingService

BASE = "/api/iottimeseries/v3"
MAX_LIMIT = 2000


class TimeSeriesService:
    """Reads what `/exchange` stored (sandbox.telemetry)."""

    def __init__(self, ctx: IhContext, mappings: MappingService) -> None:
        self.ctx = ctx
        self.mappings = mappings

    async def read(self, request: Request) -> Response:
        entity_id = request.path_params["entityId"]
        aspect = request.path_params["propertySetName"]
        asset = self.ctx.state.live_asset(entity_id)
        if asset is None:
            raise HttpError(404, f"Entity {entity_id} not found")
        if not any(
            a["name"] == aspect
            for t in self.ctx.state.type_lineage(asset["typeId"])
            for a in t.get("aspects", [])
        ):
            raise HttpError(404, f"Property set {aspect} not found on entity {entity_id}")
        query = request.query_params
        records = self.ctx.telemetry.records(asset["assetId"], aspect)
        start, end = query.get("from"), query.get("to")
        if start is None and end is None:
            records = records[-1:]
        else:
            low = normal_time(start) if start else ""
            high = normal_time(end) if end else "9999"
            records = [r for r in records if low < r["_time"] <= high]
            try:
                limit = int(query.get("limit", MAX_LIMIT))
            except ValueError:
                raise HttpError(400, "limit must be an integer") from None
            if not 1 <= limit <= MAX_LIMIT:
                raise HttpError(400, f"limit must be between 1 and {MAX_LIMIT}")
            records = records[:limit]
        select = query.get("select")
        if select:
            names = {n.strip() for n in select.split(",")} | {"_time"}
            records = [
                {k: v for k, v in r.items() if k in names or k.removesuffix("_qc") in names} for r in records
            ]
        return json_response(records)

    def routes(self) -> list[BaseRoute]:
        return [
            ih_route(self.ctx, "dpm", BASE + "/timeseries/{entityId}/{propertySetName}", ["GET"], self.read)
        ]
