"""Event history: the audit trail as CloudTrail's console shows it (a lookup attribute, a time range,
newest first, 50 a page) and one event's record as JSON. Both read through LookupEvents, so the page
shows what cloudtrail:LookupEvents lets the signed-in principal see. Also the Access Advisor panel that
the user and role pages show."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.responses import Response
from starlette.routing import Route

from iamd.audit.lookup import KEYS
from iamd.audit.operations import ACCESS_ADVISOR
from iamd.web.console.base import Api, Console, Ctx, page


def _date(text: str, end: bool) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10 and end:  # a day given: the whole day
        value = value.replace(hour=23, minute=59, second=59)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def event_history(ctx: Ctx) -> Response:
    query = ctx.request.query_params
    key, value = query.get("key", ""), query.get("value", "").strip()
    params: dict = {"MaxResults": 50}
    if key in KEYS and value:
        params["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    start, end = _date(query.get("start", ""), False), _date(query.get("end", ""), True)
    if start:
        params["StartTime"] = start
    if end:
        params["EndTime"] = end
    if query.get("token"):
        params["NextToken"] = query["token"]
    with ctx.api() as api:
        result, error = api.try_run("LookupEvents", params, service="cloudtrail")
    rows = []
    for event in (result or {}).get("Events", []):
        record = json.loads(event["CloudTrailEvent"])
        rows.append({**event, "errorCode": record.get("errorCode", ""),
                     "sourceIPAddress": record.get("sourceIPAddress")})
    return ctx.render("events.html", nav="events", rows=rows, error=error, keys=KEYS, key=key, value=value,
                      start=query.get("start", ""), end=query.get("end", ""),
                      next_token=(result or {}).get("NextToken"))


def event_detail(ctx: Ctx) -> Response:
    event_id = ctx.path_params["event_id"]
    with ctx.api() as api:
        result, error = api.try_run("LookupEvents", {"LookupAttributes": [
            {"AttributeKey": "EventId", "AttributeValue": event_id}]}, service="cloudtrail")
    events = (result or {}).get("Events", [])
    if error is None and not events:
        return ctx.render("event.html", nav="events", status=404, event=None, record="", error=None, event_id=event_id)
    record = json.dumps(json.loads(events[0]["CloudTrailEvent"]), indent=2) if events else ""
    return ctx.render("event.html", nav="events", event=events[0] if events else None, record=record, error=error,
                      event_id=event_id)


def access_advisor(api: Api, principal_arn: str) -> tuple[list, object]:
    """(services, error) for a user's or role's Access Advisor tab."""
    result, error = api.try_operation(ACCESS_ADVISOR, {"PrincipalArn": principal_arn})
    return (result or {}).get("Services", []), error


def routes(console: Console) -> list[Route]:
    return [
        Route("/events", page(console, event_history), methods=["GET"]),
        Route("/events/{event_id}", page(console, event_detail), methods=["GET"]),
    ]
