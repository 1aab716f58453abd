"""The console's Access Advisor tab, fed by the audit trail: for a user or a role (all its sessions),
each service and action it called in the window, when last, how often, how often refused.
AWS's Access Advisor ("Refining permissions in AWS using last accessed information", IAM User Guide)
shows when each service was last accessed; the records let iamd show every action too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, func, select

from iamd.service.context import Call
from iamd.store.schema import events

DEFAULT_DAYS = 90


def access_advisor(tx: Connection, call: Call, params: dict) -> dict:
    days = int(params.get("Days") or DEFAULT_DAYS)
    since = int((datetime.now(UTC) - timedelta(days=days)).timestamp() * 1000)
    query = (select(events.c.event_source, events.c.event_name, func.max(events.c.event_ms).label("last"),
                    func.count().label("calls"),
                    func.sum(case((events.c.error_code == "AccessDenied", 1), else_=0)).label("denied"))
             .where(events.c.account_id == call.account_id, events.c.principal_key == params["PrincipalArn"],
                    events.c.event_ms >= since)
             .group_by(events.c.event_source, events.c.event_name))
    services: dict[str, dict] = {}
    for row in tx.execute(query):
        prefix = row.event_source.split(".", 1)[0]
        last = datetime.fromtimestamp(row.last / 1000, UTC)
        service = services.setdefault(prefix, {"Service": prefix, "LastAccessed": last, "Actions": []})
        service["LastAccessed"] = max(service["LastAccessed"], last)
        service["Actions"].append({"Action": f"{prefix}:{row.event_name}", "LastAccessed": last,
                                   "Calls": int(row.calls), "Denied": int(row.denied or 0)})
    for service in services.values():
        service["Actions"].sort(key=lambda action: action["LastAccessed"], reverse=True)
    return {"Services": sorted(services.values(), key=lambda s: s["LastAccessed"], reverse=True), "Days": days}
