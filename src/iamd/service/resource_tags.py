"""The tags of the IAM resource a request acts on, as the condition keys AWS defines for its type.

Which keys: the Service Authorization Reference for IAM (``iamd.reference.actions``) lists
``aws:ResourceTag/${TagKey}`` for instance profiles, MFA devices, OIDC and SAML providers, policies,
roles, server certificates and users, and ``iam:ResourceTag/${TagKey}`` for roles and users only.
A resource type without them (a group, say) gives no key, so a condition on one does not match.

Read at every request whose policies use such a key (never cached): a tag added or removed holds at
once, in every process. The resource function found the entity already (a ``Target``, service/targets.py),
so its tags are read by its unique id: a namesake created since has another id, and its own tags. An
operation whose resource function answers a bare ARN acts on no IAM resource with tags (a group, "*",
another account's or AWS's own policy): tests/service/test_targets.py holds every operation to that.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection, bindparam, select

from iamd.reference import actions as reference
from iamd.service.targets import Target
from iamd.store.fastpath import HotQuery
from iamd.store.schema import tags

_BY_ID = HotQuery(select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id"))
                  .order_by(tags.c.position))


@functools.cache
def tag_key_prefixes(resource_type: str) -> tuple[str, ...]:
    """("aws:ResourceTag/", "iam:ResourceTag/") or the part of them AWS defines for the resource type."""
    keys = reference.resource_condition_keys("iam", resource_type)
    return tuple(key.split("${", 1)[0] for key in keys if key.split("${", 1)[0].endswith(":ResourceTag/"))


def of_target(tx: Connection, target: Target) -> dict[str, str]:
    """The condition keys of a target's tags: none when it does not exist (or its type has none)."""
    prefixes = tag_key_prefixes(target.kind)
    if target.row is None or not prefixes:
        return {}
    rows = _BY_ID.all(tx, {"id": target.row.id})
    return {f"{prefix}{tag_key}": value for tag_key, value in rows for prefix in prefixes}
