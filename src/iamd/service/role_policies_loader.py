"""Loading the policies that bear on a role's sessions, compiled for the engine (the role-side twin of
principal_policies.load_user_policies).

A role's identity policies are its inline and attached managed policies; its permissions boundary,
when set, is one managed policy; its tags feed aws:PrincipalTag/*.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from iamd.policy import PolicySet, parse_policy
from iamd.service.principal_policies import CompiledManagedPolicies, PrincipalPolicies, managed
from iamd.store.schema import inline_policies, policy_attachments, roles, tags

_INLINE = (select(inline_policies.c.name, inline_policies.c.document)
           .where(inline_policies.c.entity_id == bindparam("id")).order_by(inline_policies.c.name))
_ATTACHED = select(policy_attachments.c.policy_arn).where(policy_attachments.c.entity_id == bindparam("id"))
_BOUNDARY = select(roles.c.permissions_boundary).where(roles.c.id == bindparam("id"))
_TAGS = select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id")).order_by(tags.c.position)


def load_role_policies(tx: Connection, account_id: str, role_id: str,
                       compiled: CompiledManagedPolicies) -> PrincipalPolicies:
    identity = [parse_policy(row.document, policy_id=row.name, policy_type="IAM Policy")
                for row in tx.execute(_INLINE, {"id": role_id})]
    identity += managed(tx, account_id, list(tx.scalars(_ATTACHED, {"id": role_id})), compiled)
    role = tx.execute(_BOUNDARY, {"id": role_id}).first()
    boundary_arn = role.permissions_boundary if role is not None else None
    boundary = tuple(managed(tx, account_id, [boundary_arn], compiled)) if boundary_arn else None
    role_tags = tuple((row.key, row.value) for row in tx.execute(_TAGS, {"id": role_id}))
    # A session of a deleted role: the role's unique id is gone for good (a namesake has another).
    return PrincipalPolicies(PolicySet(identity=tuple(identity), boundary=boundary), role_tags,
                             exists=role is not None)
