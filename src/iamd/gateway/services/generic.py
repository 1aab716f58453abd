"""Services whose reference the gateway ships but which need no rules of their own (CloudWatch Logs,
EventBridge, Step Functions, ECR, CloudWatch): the operation's action, and its resource ARN filled from
the request by name.

A placeholder of the action's ARN formats takes the top-level member of the same name, compared
case-insensitively (``${LogGroupName}`` <- ``logGroupName``, ``${RepositoryName}`` <- ``repositoryName``);
a member holding a whole ARN that one of the formats matches (``stateMachineArn``) is taken as it is;
a single placeholder ``${...Name}`` left unfilled takes the ``Name`` member (PutRule, CreateStateMachine).
Of the ARNs so made, the one filling most placeholders wins (a log stream over its log group). Nothing
filled: ``*``, flagged unresolved when the action requires a resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from iamd.gateway import reference_data
from iamd.gateway.authz import AuthorizationItem, Target, item, parse_arn

_GIVEN = ("Partition", "Region", "Account")
_PLACEHOLDER = re.compile(r"\\\$\\\{([^}]+)\\\}")


@cache
def _arn_pattern(arn_format: str) -> re.Pattern[str]:
    """An ARN format as a regex: each placeholder one or more characters without ':' (the last: any)."""
    escaped = re.escape(arn_format)
    parts = _PLACEHOLDER.split(escaped)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        else:
            out.append(".+" if i == len(parts) - 2 else "[^:]+")
    return re.compile("".join(out) + r"\Z")


def _values(params: Mapping[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in params.items() if isinstance(value, str) and value}


def make(prefix: str) -> Any:
    def items(t: Target) -> list[AuthorizationItem]:
        operation = t.operation
        ref = reference_data.service(prefix)
        act = ref.action(operation) if ref else None
        action = act.name if act else operation
        if act is None or not act.resource_types:
            return [item(prefix, action, t)]
        by_name = _values(t.params)
        for value in by_name.values():  # a whole ARN of one of the action's resource types
            arn = parse_arn(value)
            if arn is not None and arn.service == prefix:
                for rtype, _ in act.resource_types:
                    if _arn_pattern(rtype.arn).match(value):
                        found = item(prefix, action, t, {}, owner=arn.account)
                        return [AuthorizationItem(found.action, value, found.context, arn.account)]
        best: tuple[int, dict[str, str]] | None = None
        for rtype, _ in act.resource_types:
            wanted = [p for p in rtype.placeholders if p not in _GIVEN]
            values = {p: by_name[p.lower()] for p in wanted if p.lower() in by_name}
            missing = [p for p in wanted if p not in values]
            if len(missing) == 1 and missing[0].endswith("Name") and "name" in by_name:
                values[missing[0]] = by_name["name"]  # CreateStateMachine's name, PutRule's Name
            elif missing:
                continue
            if best is None or len(values) > best[0]:
                best = (len(values), values)
        return [item(prefix, action, t, best[1] if best else {})]

    return items
