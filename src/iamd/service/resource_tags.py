"""The tags of the IAM resource a request acts on, as the condition keys AWS defines for its type.

Which keys: the Service Authorization Reference for IAM (``iamd.reference.actions``) lists
``aws:ResourceTag/${TagKey}`` for instance profiles, MFA devices, OIDC and SAML providers, policies,
roles, server certificates and users, and ``iam:ResourceTag/${TagKey}`` for roles and users only.
A resource type without them (a group, say) gives no key, so a condition on one does not match.

Read at every request whose policies use such a key (never cached): a tag added or removed holds at
once, in every process. When the resource function found the entity already (a ``Target``), its
tags are read by its id (``of_target``); otherwise the ARN is parsed to find it (``condition_values``).
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, select

from iamd.reference import actions as reference
from iamd.security import ids
from iamd.service.targets import Target
from iamd.store.fastpath import HotQuery
from iamd.store.schema import (
    instance_profiles,
    managed_policies,
    mfa_devices,
    oidc_providers,
    roles,
    saml_providers,
    server_certificates,
    tags,
    users,
)


def _by_name(table) -> HotQuery:
    """Entities whose name is unique in the account (ignoring case): found by the ARN's last part."""
    return HotQuery(select(tags.c.key, tags.c.value).join(table, table.c.id == tags.c.resource_id)
                    .where(table.c.account_id == bindparam("account_id"), table.c.name_key == bindparam("key"))
                    .order_by(tags.c.position))


def _by_arn(table, column) -> HotQuery:
    """Entities stored under their ARN (policies, providers) or serial number (MFA devices)."""
    return HotQuery(select(tags.c.key, tags.c.value).join(table, table.c.id == tags.c.resource_id)
                    .where(table.c.account_id == bindparam("account_id"), column == bindparam("key"))
                    .order_by(tags.c.position))


# The ARN's resource type → (query, whether it finds the entity by name rather than by the whole ARN).
_QUERIES = {
    "user": (_by_name(users), True),
    "role": (_by_name(roles), True),
    "instance-profile": (_by_name(instance_profiles), True),
    "server-certificate": (_by_name(server_certificates), True),
    "policy": (_by_arn(managed_policies, managed_policies.c.arn), False),
    "oidc-provider": (_by_arn(oidc_providers, oidc_providers.c.arn), False),
    "saml-provider": (_by_arn(saml_providers, saml_providers.c.arn), False),
    "mfa": (_by_arn(mfa_devices, mfa_devices.c.serial_number), False),
}


_BY_ID = HotQuery(select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id"))
                  .order_by(tags.c.position))


@functools.cache
def tag_key_prefixes(resource_type: str) -> tuple[str, ...]:
    """("aws:ResourceTag/", "iam:ResourceTag/") or the part of them AWS defines for the resource type."""
    keys = reference.resource_condition_keys("iam", resource_type)
    return tuple(key.split("${", 1)[0] for key in keys if key.split("${", 1)[0].endswith(":ResourceTag/"))


def condition_values(tx, account_id: str, resource: str) -> dict[str, str]:
    """aws:ResourceTag/<key> and iam:ResourceTag/<key> of the resource an ARN names, as its type allows.

    Only a resource of ``account_id`` (the caller's, or the role AssumeRole found): another account's
    tags must not leak through the outcome of a call that fails anyway.
    """
    parsed = ids.parse_arn(resource)
    if parsed is None or not parsed.is_iam(account_id) or not ids.is_account_id(account_id) or not parsed.after_type:
        return {}
    resource_type = parsed.resource_type
    if resource_type not in _QUERIES or not tag_key_prefixes(resource_type):
        return {}
    query, by_name = _QUERIES[resource_type]
    key = parsed.name.lower() if by_name else resource
    rows = query.all(tx, {"account_id": account_id, "key": key})
    return {f"{prefix}{tag_key}": value for tag_key, value in rows for prefix in tag_key_prefixes(resource_type)}


def of_target(tx, target: Target) -> dict[str, str]:
    """The condition keys of a target's tags: none when it does not exist (or its type has none)."""
    prefixes = tag_key_prefixes(target.kind)
    if target.row is None or not prefixes:
        return {}
    rows = _BY_ID.all(tx, {"id": target.row.id})
    return {f"{prefix}{tag_key}": value for tag_key, value in rows for prefix in prefixes}
