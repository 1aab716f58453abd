"""CloudTrail's LookupEvents over the stored records ("LookupEvents", AWS CloudTrail API Reference).

One lookup attribute at most (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
EventSource, AccessKeyId), a time range that defaults to the last 90 days, newest first, at most 50 a
page (50 by default). The page token is the position after the page's last event (time, sequence),
bound to the request's other parameters, so a page costs one index range scan however deep it is.

Username, ResourceName and EventId have indexes of their own; EventName, AccessKeyId, EventSource and
ReadOnly do not (each index costs every event's insert), so a page by one of those
reads at most SCAN of the account's events, newest first: it may hold fewer events than MaxResults, or
none, and still carry a NextToken that goes on where the reading stopped. AWS's LookupEvents reference
promises no more: "If the token does not appear, there are no more results to return."
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, or_, select

from iamd.audit.errors import (
    InvalidEventCategory,
    InvalidLookupAttributes,
    InvalidMaxResults,
    InvalidNextToken,
    InvalidTimeRange,
    Serialization,
)
from iamd.audit.record import time_of_id
from iamd.service.context import Call
from iamd.store.schema import event_resources, events

KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
DEFAULT_WINDOW = timedelta(days=90)
PAGE = 50

_COLUMNS = {"EventName": events.c.event_name, "Username": events.c.username,
            "EventSource": events.c.event_source, "AccessKeyId": events.c.access_key_id}
_SELECT = select(events.c.seq, events.c.event_id, events.c.event_name, events.c.read_only, events.c.access_key_id,
                 events.c.event_ms, events.c.event_source, events.c.username, events.c.resource_type,
                 events.c.resource_name, events.c.record)


_TYPES: dict[str, type | tuple[type, ...]] = {
    "LookupAttributes": list, "StartTime": (int, float, datetime), "EndTime": (int, float, datetime),
    "EventCategory": str, "MaxResults": int, "NextToken": str}


def _check_types(params: dict) -> None:
    for name, kind in _TYPES.items():
        value = params.get(name)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise Serialization(f"Unexpected value type for {name}.")
    for item in params.get("LookupAttributes") or ():
        if not isinstance(item, dict):
            raise Serialization("Unexpected value type for LookupAttributes member.")


def lookup_events(tx: Connection, call: Call, params: dict) -> dict:
    _check_types(params)
    attribute = _attribute(params.get("LookupAttributes"))
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategory(f"Event category {category} is not valid. Valid value: insight.")
    # Not the call's time (whole seconds): an event of this very second must be found.
    now = datetime.now(UTC)
    end = _time(params.get("EndTime")) or now
    start = _time(params.get("StartTime")) or (end - DEFAULT_WINDOW)
    if start > end:
        raise InvalidTimeRange("Start time must be earlier than end time.")
    limit = params.get("MaxResults", PAGE)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= PAGE:
        raise InvalidMaxResults(f"MaxResults must be between 1 and {PAGE}.")
    if category == "insight":  # iamd makes no Insights events
        return {"Events": []}
    binding = _binding(call.account_id, attribute, params.get("StartTime"), params.get("EndTime"))
    next_token = params.get("NextToken")
    after = _token(next_token, binding) if next_token else None

    key = attribute[0] if attribute else None
    sqlite = tx.dialect.name == "sqlite"
    start_ms, end_ms = _ms(start), _ms(end)
    stop = None  # where a bounded page's reading stops: its SCAN-th event of the window
    if key in _SCANNED:
        stop = tx.execute(_page(select(events.c.event_ms, events.c.seq), events, call.account_id, start_ms, end_ms,
                                after).limit(1).offset(SCAN - 1)).first()
    # The stop's time as the window's start: SQLite ends its range scan on one lower bound only.
    first = _page(_SELECT, events, call.account_id, stop[0] if stop else start_ms, end_ms, after,
                  sqlite and key in _OWN_INDEX)
    if stop is not None:
        first = first.where(or_(events.c.event_ms > stop[0], events.c.seq >= stop[1]))
    queries = []
    if attribute is not None and key in ("ResourceName", "ResourceType"):
        # An event's first resource is in its row, the others in event_resources: two index scans, merged.
        value = attribute[1]
        own, other = ((events.c.resource_name, event_resources.c.resource_name) if key == "ResourceName"
                      else (events.c.resource_type, event_resources.c.resource_type))
        first = first.where(own == value)
        queries.append(_page(_SELECT.join(event_resources, event_resources.c.seq == events.c.seq), event_resources,
                             call.account_id, start_ms, end_ms, after).where(other == value))
    elif attribute is not None:
        first = first.where(_condition(*attribute))
    queries.insert(0, first)
    rows: list = []
    for query in queries:
        rows += tx.execute(query.limit(limit + 1)).all()
    if len(queries) > 1:
        unique = {row.seq: row for row in rows}
        rows = sorted(unique.values(), key=lambda row: (row.event_ms, row.seq), reverse=True)[:limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    extra = _extra_resources(tx, [row.seq for row in rows])
    out: dict = {"Events": [_event(row, extra.get(row.seq, [])) for row in rows]}
    if more:
        last = rows[-1]
        out["NextToken"] = _make_token(last.event_ms, last.seq, binding)
    elif stop is not None:  # read up to the bound: the next page reads on past it
        out["NextToken"] = _make_token(stop[0], stop[1], binding)
    return out


def _attribute(attributes) -> tuple[str, str] | None:
    if not attributes:
        return None
    if len(attributes) > 1:
        raise InvalidLookupAttributes("You can only specify one lookup attribute.")
    item = attributes[0]
    key, value = item.get("AttributeKey"), item.get("AttributeValue")
    if key not in KEYS:
        raise InvalidLookupAttributes(f"Lookup attribute key {key} is not valid. Valid values: {', '.join(KEYS)}.")
    if not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise InvalidLookupAttributes("The lookup attribute value must be 1 to 2000 characters long.")
    if key == "ReadOnly" and value not in ("true", "false"):
        raise InvalidLookupAttributes("The value of the ReadOnly lookup attribute must be true or false.")
    return key, value


# SQLite's planner, without statistics, prefers the time index over the attribute's own (the window's
# two range terms on event_ms look selective to it). Writing the window as ``event_ms + 0`` takes the
# time index out of its choice; the attribute's index still serves the order and the page position.
_OWN_INDEX = frozenset({"Username", "ResourceName"})
# Without an index of their own: a page reads at most SCAN events of the window on the account's time
# index (its SQL ~0.4-1.6 ms on SQLite at 300,000 events; 5,000 took 12-31 ms: docs/performance.md).
_SCANNED = frozenset({"EventName", "AccessKeyId", "EventSource", "ReadOnly"})
SCAN = 1000


def _page(query, table, account_id: str, start_ms: int, end_ms: int, after, own_index: bool = False):
    """The window, the position after the previous page, newest first, on ``table``'s own columns (so
    that the scan runs on that table's index)."""
    moment = table.c.event_ms + 0 if own_index else table.c.event_ms
    # One upper bound on time (SQLite's range scan starts from one only): the window's end, or the
    # previous page's last time if earlier, or a deep page would read down from the window's end.
    upper = min(end_ms, after[0]) if after is not None else end_ms
    query = query.where(table.c.account_id == account_id, moment >= start_ms, moment <= upper)
    if after is not None:
        # Written out (not a row comparison) so that both databases range-scan the index on event_ms.
        query = query.where(table.c.event_ms <= after[0], or_(table.c.event_ms < after[0], table.c.seq < after[1]))
    return query.order_by(table.c.event_ms.desc(), table.c.seq.desc())


def _condition(key: str, value: str):
    if key == "EventId":  # the id carries its time: the time index finds it
        return and_(events.c.event_ms == (time_of_id(value) or -1), events.c.event_id == value)
    if key == "ReadOnly":
        return events.c.read_only == (value == "true")
    return _COLUMNS[key] == value


def _extra_resources(tx: Connection, seqs: list[int]) -> dict[int, list]:
    if not seqs:
        return {}
    found: dict[int, list] = {}
    query = (select(event_resources.c.seq, event_resources.c.resource_type, event_resources.c.resource_name)
             .where(event_resources.c.seq.in_(seqs)).order_by(event_resources.c.seq, event_resources.c.position))
    for row in tx.execute(query):
        found.setdefault(row.seq, []).append({"ResourceType": row.resource_type, "ResourceName": row.resource_name})
    return found


def _event(row, extra: list) -> dict:
    resources = ([{"ResourceType": row.resource_type, "ResourceName": row.resource_name}]
                 if row.resource_name else []) + extra
    event = {"EventId": row.event_id, "EventName": row.event_name, "ReadOnly": "true" if row.read_only else "false",
             "EventTime": datetime.fromtimestamp(row.event_ms / 1000, UTC),
             "EventSource": row.event_source, "Resources": resources, "CloudTrailEvent": row.record}
    if row.access_key_id:
        event["AccessKeyId"] = row.access_key_id
    if row.username:
        event["Username"] = row.username
    return event


def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _binding(account_id: str, attribute, start, end) -> str:
    text = json.dumps([account_id, attribute, str(start), str(end)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _make_token(event_ms: int, seq: int, binding: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([event_ms, seq, binding]).encode()).decode()


def _token(token: str, binding: str) -> tuple[int, int]:
    try:
        event_ms, seq, bound = json.loads(base64.urlsafe_b64decode(token.encode()))
        if bound != binding or not isinstance(event_ms, int) or not isinstance(seq, int):
            raise ValueError
        return event_ms, seq
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidNextToken("Invalid NextToken. The token must come from a previous response of LookupEvents "
                               "with the same parameters.") from None
