"""The authorization API's caller must be allowed its own action (iamd:Authorize ...), denied by default:
the one check every operation of the API makes first, through service/decide.py like every decision.

A service asks thousands of times a second with the same key, and its own policies seldom read the
request context: when no statement that could bear on the action reads a context key (no Condition, no
policy variable), the decision is the same for every request, and is remembered per (policy set, action,
resource). The policy set is the caller's compiled one, from the Authorizer's cache keyed on the
principal's unique id and the account's change counter: any change in the account gives a new set, so a
remembered decision can never outlive the policies it was made from.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from sqlalchemy import Connection

from iamd import telemetry
from iamd.errors import AccessDenied
from iamd.policy import Decision, PolicySet, Request, authorize as evaluate
from iamd.security.principal_kind import PrincipalKind
from iamd.service.authorize import Authorizer, denial_message
from iamd.service.context import Call
from iamd.service.decide import Decider

# The counter's two children, looked up once: labels() costs a tenth of a decision.
ALLOWED, DENIED = telemetry.DECISIONS.labels("allowed"), telemetry.DECISIONS.labels("denied")
_PARTS = ("identity", "boundary", "session")


class Tally:
    """A call's decisions, counted once at its end (``count``): each counter's inc() takes its lock, ~5k
    instructions, and a VerifyAndAuthorize makes three decisions with one pair."""

    def __init__(self) -> None:
        self.allowed = self.denied = 0

    def count(self) -> None:
        if self.allowed:
            ALLOWED.inc(self.allowed)
        if self.denied:
            DENIED.inc(self.denied)
        self.allowed = self.denied = 0


def require(tx: Connection, call: Call, action: str, resource: str) -> None:
    """The API's caller must be allowed its own action (iamd:Authorize ...): denied by default. The
    resource (a principal, a service definition) has no policy of its own: identity policies decide."""
    Permissions(tx, call).require(action, resource)


class Permissions:
    """``require`` for a call that checks several of its own actions (VerifyAndAuthorize: iamd:VerifySignature,
    then iamd:Authorize): the caller's policies and request context made once for both."""

    def __init__(self, tx: Connection, call: Call, tally: Tally | None = None):
        self.tx, self.call, self.tally = tx, call, tally  # tally: counted there, at the call's end
        self._decider: Decider | None = None
        self._policy_set: PolicySet | None = None  # the caller's, when its decisions may be remembered

    def require(self, action: str, resource: str) -> None:
        decision = self._remembered(action, resource)
        if decision is None:
            if self._decider is None:
                self._decider = Decider(self.tx, cast(Authorizer, self.call.env.authorizer), self.call, {}, None)
            decision = self._decider.decide(action, resource, None, explain=False)
        if self.tally is None:
            (ALLOWED if decision.allowed else DENIED).inc()
        elif decision.allowed:
            self.tally.allowed += 1
        else:
            self.tally.denied += 1
        if not decision.allowed:
            raise AccessDenied(denial_message(self.call.principal.arn, action, resource, decision))

    def _remembered(self, action: str, resource: str) -> Decision | None:
        """The decision when the caller's policies make it without reading the request context, else None
        (decided in full by the Decider: the root user, a session with scope-down policies, a principal
        that is gone, and policies with conditions take that way)."""
        if self._policy_set is None:
            call = self.call
            principal = call.principal
            if principal.kind is PrincipalKind.ANONYMOUS or principal.is_root or (call.session and call.session.scope):
                return None
            loaded = cast(Authorizer, call.env.authorizer).policies_of(self.tx, call)
            if not loaded.exists:
                return None
            self._policy_set = loaded.policy_set
        return context_free_decision(self._policy_set, action, resource)


@lru_cache(maxsize=4096)
def context_free_decision(policy_set: PolicySet, action: str, resource: str) -> Decision | None:
    """The identity-side decision of ``policy_set`` when none of its statements that name the action reads
    the request context (then any context decides alike, the empty one too); None when one does."""
    lowered = action.lower()
    for part in _PARTS:
        if getattr(policy_set, part) is None:
            continue
        if any(statement.context_keys for statement, _ in policy_set.candidates(part, lowered)):
            return None
    return evaluate(Request(action=action, resource=resource, explain=False), policy_set)
