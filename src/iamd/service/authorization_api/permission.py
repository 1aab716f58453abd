"""The authorization API's caller must be allowed its own action (iamd:Authorize ...), denied by default:
the one check every operation of the API makes first, through service/decide.py like every decision."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection

from iamd import telemetry
from iamd.errors import AccessDenied
from iamd.service.authorize import Authorizer, denial_message
from iamd.service.context import Call
from iamd.service.decide import decide


def require(tx: Connection, call: Call, action: str, resource: str) -> None:
    """The API's caller must be allowed its own action (iamd:Authorize ...): denied by default. The
    resource (a principal, a service definition) has no policy of its own: identity policies decide."""
    decision = decide(tx, cast(Authorizer, call.env.authorizer), call, action, resource, {}, None, None,
                      explain=False)
    telemetry.DECISIONS.labels("allowed" if decision.allowed else "denied").inc()
    if not decision.allowed:
        raise AccessDenied(denial_message(call.principal.arn, action, resource, decision))
