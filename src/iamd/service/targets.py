"""The entity an operation acts on, found once per request.

A resource function (declare.py) may answer a ``Target`` rather than a bare ARN: the ARN authorization
checks, and the stored row it found on the way (in the request's transaction, ``call.tx``). Then
authorization reads the row's tags by its id when a policy asks for them (resource_tags.py), instead
of parsing the ARN back to find the entity again, and the handler takes the row (``reuse``) instead
of a third look-up. Every operation on a resource with tags answers one (tests/service/test_every_target.py):
a bare ARN gets no tags. ``resources.named_target`` finds an entity by name, ``resources.arn_target`` one
an operation takes by ARN; providers and MFA devices find theirs in their own modules.

The row is kept on the call (``Call.found``) under its kind and key, and handed out once: the first
look-up the handler makes of that same entity gets it, as that look-up would have read it (the same
transaction, nothing written in between); any later look-up reads the store, so a handler that
changed the entity never gets the row as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iamd.service.context import Call


@dataclass(frozen=True, slots=True)
class Target:
    arn: str
    kind: str  # the ARN's resource type: "user", "role", "policy", "instance-profile", "mfa", ...
    row: Any  # the stored entity (its id keys its tags), or None: no such entity in the caller's account


def found(call: Call, kind: str, key: str, row: Any, arn: str) -> Target:
    """The target of ``arn``, its row kept for the handler's first look-up of (kind, key)."""
    if row is not None:
        call.found[(kind, key)] = row
    return Target(arn, kind, row)


def reuse(call: Call, kind: str, key: str) -> Any | None:
    """The row authorization found for (kind, key) in this request, once; None: look it up."""
    return call.found.pop((kind, key), None)
