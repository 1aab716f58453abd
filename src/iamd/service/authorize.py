"""The one bridge between a request and the decision whether its caller may make it.

Until the policy engine is wired in, only the account root user may call IAM operations; every other
principal is refused with AWS's message, since no identity-based policy can allow anything yet.
sts:GetCallerIdentity is never denied.
"""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import AccessDenied
from iamd.service.context import Call

NEVER_DENIED = frozenset({"sts:GetCallerIdentity"})


def authorize(tx: Connection, call: Call, action: str, resource: str) -> None:
    if call.principal.is_root or action in NEVER_DENIED:
        return
    raise AccessDenied(
        f"User: {call.principal.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
