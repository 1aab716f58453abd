"""Loading the policies that bear on a principal, compiled for the engine.

A user's identity policies are its inline and attached managed policies and those of its groups;
its permissions boundary, when set, is one managed policy. Managed policies are compiled once per
(ARN, version) and shared by every principal they are attached to.
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
from iamd.store.schema import group_members, inline_policies, managed_policies, policy_attachments, policy_versions, tags, users


@dataclass(frozen=True)
class PrincipalPolicies:
    policy_set: PolicySet
    tags: tuple[tuple[str, str], ...]  # the principal's tags, for aws:PrincipalTag/*

    @functools.cached_property
    def uses_resource_tags(self) -> bool:
        """Whether any policy reads the target's tags: only then does a request pay to load them."""
        policies = [*self.policy_set.identity, *(self.policy_set.boundary or ()), *(self.policy_set.session or ())]
        return any(key.lower().startswith(("aws:resourcetag/", "iam:resourcetag/")) for key in context_keys(policies))


class CompiledManagedPolicies:
    """Compiled managed policies by (ARN, version): bounded, shared across principals."""

    def __init__(self, limit: int = 4096):
        self._entries: OrderedDict[tuple[str, str], Policy] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, arn: str, version_id: str, load_document) -> Policy | None:
        key = (arn, version_id)
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
    select(managed_policies.c.arn, managed_policies.c.default_version_id, policy_versions.c.document)
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
    boundary_arn = tx.scalar(_USER, {"user_id": user_id})
    boundary = tuple(managed(tx, account_id, [boundary_arn], compiled)) if boundary_arn else None
    principal_tags = tuple((row.key, row.value) for row in tx.execute(_TAGS, {"id": user_id}))
    return PrincipalPolicies(PolicySet(identity=tuple(identity), boundary=boundary), principal_tags)


def managed(tx: Connection, account_id: str, arns: list[str], compiled: CompiledManagedPolicies) -> list[Policy]:
    """The default versions of managed policies, AWS's from the catalogue and the account's from the store."""
    result = []
    customer = [arn for arn in arns if not policy_lookup.is_aws_managed(arn)]
    if customer:
        for row in tx.execute(_CUSTOMER_DEFAULT, {"account_id": account_id, "arns": customer}):
            policy = compiled.get(row.arn, row.default_version_id, lambda document=row.document: document)
            if policy is not None:
                result.append(policy)
    for arn in arns:
        if policy_lookup.is_aws_managed(arn):
            entry = aws_catalogue.get(arn)
            if entry is not None:
                policy = compiled.get(arn, entry.default_version_id, lambda arn=arn: aws_catalogue.document(arn))
                if policy is not None:
                    result.append(policy)
    return result
