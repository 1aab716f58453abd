"""The authorization API's caller must be allowed its own action (iamd:Authorize ...), denied by default:
the one check every operation of the API makes first, through service/decide.py like every decision."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection

from iamd import telemetry
from iamd.errors import AccessDenied
from iamd.service.authorize import Authorizer, denial_message
from iamd.service.context import Call
from iamd.service.decide import Decider

# The counter's two children, looked up once: labels() costs a tenth of a decision.
ALLOWED, DENIED = telemetry.DECISIONS.labels("allowed"), telemetry.DECISIONS.labels("denied")


def require(tx: Connection, call: Call, action: str, resource: str) -> None:
    """The API's caller must be allowed its own action (iamd:Authorize ...): denied by default. The
    resource (a principal, a service definition) has no policy of its own: identity policies decide."""
    Permissions(tx, call).require(action, resource)


class Permissions:
    """``require`` for a call that checks several of its own actions (VerifyAndAuthorize: iamd:VerifySignature,
    then iamd:Authorize): the caller's policies and request context made once for both."""

    def __init__(self, tx: Connection, call: Call):
        self.call = call
        self._decider = Decider(tx, cast(Authorizer, call.env.authorizer), call, {}, None)

    def require(self, action: str, resource: str) -> None:
        decision = self._decider.decide(action, resource, None, explain=False)
        (ALLOWED if decision.allowed else DENIED).inc()
        if not decision.allowed:
            raise AccessDenied(denial_message(self.call.principal.arn, action, resource, decision))
