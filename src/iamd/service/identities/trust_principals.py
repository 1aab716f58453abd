"""A role trust policy's IAM user and role principals, pinned to the unique ids they had when the policy
was saved.

IAM User Guide, "AWS JSON policy elements: Principal" (IAM role principals, IAM user principals): "When
you save the policy, AWS transforms the ARN to a unique principal ID ... This helps mitigate the risk of
someone escalating their privileges by removing and recreating the role or user." A principal that does
not exist cannot be named at all (MalformedPolicyDocument, 'Invalid principal in policy: "AWS":"<arn>"'),
and once it is deleted the policy no longer applies to it, even to a namesake, and shows the unique id
in place of the ARN.

iamd keeps the document exactly as written and, beside it, the map {ARN: unique id} taken when it was
saved. Principals in accounts this iamd does not hold cannot be resolved and are kept as ARNs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from sqlalchemy import Connection, select

from iamd.errors import MalformedPolicyDocument
from iamd.store.schema import accounts, roles, users

_ENTITY_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(user|role)(/.+)$")
_TABLES = {"user": users, "role": roles}


def _aws_principals(document: str) -> Iterator[str]:
    """Every string of a Principal or NotPrincipal "AWS" element (the document has passed the checks)."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            value = statement.get(element)
            named = value.get("AWS") if isinstance(value, dict) else None
            for item in named if isinstance(named, list) else [named]:
                if isinstance(item, str):
                    yield item


def _split(resource: str) -> tuple[str, str]:
    """"/division/alice" → ("/division/", "alice")."""
    path, _, name = resource.rpartition("/")
    return path + "/", name


def pin(tx: Connection, document: str) -> str | None:
    """The principals' unique ids as JSON ({ARN: id}), or None when the document names none iamd holds.
    MalformedPolicyDocument for a user or role that does not exist in an account iamd holds."""
    pinned: dict[str, str] = {}
    for arn in _aws_principals(document):
        match = _ENTITY_ARN.match(arn)
        if match is None or "*" in arn or arn in pinned:
            continue
        account_id, kind, resource = match.groups()
        if tx.execute(select(accounts.c.id).where(accounts.c.id == account_id)).first() is None:
            continue  # an account elsewhere: nothing to resolve it against
        path, name = _split(resource)
        table = _TABLES[kind]
        row = tx.execute(select(table.c.id, table.c.path).where(
            table.c.account_id == account_id, table.c.name_key == name.lower())).first()
        if row is None or row.path != path:
            raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')
        pinned[arn] = row.id
    return json.dumps(pinned, separators=(",", ":")) if pinned else None


def stale(pinned: str | None, arn: str, unique_id: str | None) -> bool:
    """Whether ``arn`` was pinned to another unique id than the caller's: the policy names an entity
    that was deleted (and perhaps re-created under the same name), not the caller."""
    if not pinned or unique_id is None:
        return False
    expected = json.loads(pinned).get(arn)
    return expected is not None and expected != unique_id


def shown(tx: Connection, document: str, pinned: str | None) -> str:
    """The document as GetRole shows it: the unique id in place of the ARN of a principal that no longer
    exists (or was re-created), the ARN otherwise. The text is otherwise exactly as written."""
    if not pinned:
        return document
    ids = json.loads(pinned)
    alive = set(tx.execute(select(users.c.id).where(users.c.id.in_(ids.values()))).scalars())
    alive |= set(tx.execute(select(roles.c.id).where(roles.c.id.in_(ids.values()))).scalars())
    for arn, unique_id in ids.items():
        if unique_id not in alive:
            document = document.replace(json.dumps(arn), json.dumps(unique_id))
    return document
