"""Loading the policies that bear on a principal, compiled for the engine.

A user's identity policies are its inline and attached managed policies and those of its groups;
its permissions boundary, when set, is one managed policy. Managed policies are compiled once per
(policy id, version id) and shared by every principal they are attached to.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from iamd.policy import Policy, PolicySet, context_keys, parse_policy
from iamd.reference import managed_policies as aws_catalogue
from iamd.service import policy_lookup
from iamd.store.schema import (
    group_members,
    inline_policies,
    managed_policies,
    policy_attachments,
    policy_versions,
    tags,
    users,
)


@dataclass(frozen=True)
class PrincipalPolicies:
    policy_set: PolicySet
    tags: tuple[tuple[str, str], ...]  # the principal's tags, for aws:PrincipalTag/*
    # False when the user or role (looked up by its unique id) is gone: its sessions live on until
    # they expire, but they are no one, and a trust policy naming a namesake must not take them in.
    exists: bool = True

    @functools.cached_property
    def uses_resource_tags(self) -> bool:
        """Whether any policy reads the target's tags: only then does a request pay to load them."""
        policies = [*self.policy_set.identity, *(self.policy_set.boundary or ()), *(self.policy_set.session or ())]
        return any(key.lower().startswith(("aws:resourcetag/", "iam:resourcetag/")) for key in context_keys(policies))


class CompiledManagedPolicies:
    """Compiled managed policies by (policy id, version id): bounded, shared across principals.

    Why that key: a version's document never changes, a version id is never reused within a policy,
    and a policy id is never reused at all, so an entry can never go stale and needs no invalidation.
    The ARN would not do: a policy deleted and re-created under the same name has the same ARN and
    starts again at v1.
    """

    def __init__(self, limit: int = 4096):
        self._entries: OrderedDict[tuple[str, str], Policy] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, policy_id: str, version_id: str, arn: str, load_document) -> Policy | None:
        key = (policy_id, version_id)
        with self._lock:
            policy = self._entries.get(key)
            if policy is not None:
                self._entries.move_to_end(key)
                return policy
        document = load_document()
        if document is None:
            return None
        policy = parse_policy(document, policy_id=arn.rsplit("/", 1)[-1], policy_type="IAM Policy")
        with self._lock:
            self._entries[key] = policy
            if len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return policy


_GROUPS_OF_USER = select(group_members.c.group_id).where(group_members.c.user_id == bindparam("user_id"))
_INLINE = (select(inline_policies.c.entity_id, inline_policies.c.name, inline_policies.c.document)
           .where(inline_policies.c.entity_id.in_(bindparam("ids", expanding=True))))
_ATTACHED = (select(policy_attachments.c.policy_arn)
             .where(policy_attachments.c.entity_id.in_(bindparam("ids", expanding=True))).distinct())
_CUSTOMER_DEFAULT = (
    select(managed_policies.c.id, managed_policies.c.arn, managed_policies.c.default_version_id,
           policy_versions.c.document)
    .join(policy_versions, (policy_versions.c.policy_id == managed_policies.c.id)
          & (policy_versions.c.version_id == managed_policies.c.default_version_id))
    .where(managed_policies.c.account_id == bindparam("account_id"),
           managed_policies.c.arn.in_(bindparam("arns", expanding=True)))
)
_USER = select(users.c.permissions_boundary).where(users.c.id == bindparam("user_id"))
_TAGS = select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id")).order_by(tags.c.position)


def load_user_policies(tx: Connection, account_id: str, user_id: str,
                       compiled: CompiledManagedPolicies) -> PrincipalPolicies:
    entity_ids = [user_id, *tx.scalars(_GROUPS_OF_USER, {"user_id": user_id})]
    identity = [parse_policy(row.document, policy_id=row.name, policy_type="IAM Policy")
                for row in tx.execute(_INLINE, {"ids": entity_ids})]
    arns = list(tx.scalars(_ATTACHED, {"ids": entity_ids}))
    identity += managed(tx, account_id, arns, compiled)
    user = tx.execute(_USER, {"user_id": user_id}).first()
    boundary_arn = user.permissions_boundary if user is not None else None
    boundary = tuple(managed(tx, account_id, [boundary_arn], compiled)) if boundary_arn else None
    principal_tags = tuple((row.key, row.value) for row in tx.execute(_TAGS, {"id": user_id}))
    return PrincipalPolicies(PolicySet(identity=tuple(identity), boundary=boundary), principal_tags,
                             exists=user is not None)


def managed(tx: Connection, account_id: str, arns: list[str], compiled: CompiledManagedPolicies) -> list[Policy]:
    """The default versions of managed policies, AWS's from the catalogue and the account's from the store."""
    result = []
    customer = [arn for arn in arns if not policy_lookup.is_aws_managed(arn)]
    if customer:
        for row in tx.execute(_CUSTOMER_DEFAULT, {"account_id": account_id, "arns": customer}):
            policy = compiled.get(row.id, row.default_version_id, row.arn, lambda document=row.document: document)
            if policy is not None:
                result.append(policy)
    for arn in arns:
        if policy_lookup.is_aws_managed(arn):
            entry = aws_catalogue.get(arn)
            if entry is not None:
                # The catalogue is read-only data shipped with iamd: its policy ids are stable.
                policy = compiled.get(entry.policy_id, entry.default_version_id, arn,
                                      lambda arn=arn: aws_catalogue.document(arn))
                if policy is not None:
                    result.append(policy)
    return result
