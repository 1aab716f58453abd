"""The policies that bear on an entity, loaded in one place for every reader: enforcement
(authorize.py), the simulator, last-accessed reports, ListPoliciesGrantingServiceAccess and policy
generation. Readers that load alike decide alike: the simulator cannot drift from enforcement.

An entity's identity policies are its inline and attached managed policies and, for a user, those of
its groups; a user's or role's permissions boundary, when set, is one managed policy; its tags feed
aws:PrincipalTag/*. A session adds its session policies (``for_principal``). Each policy comes with
its source (``Sourced``: who holds it, its name or ARN, its text) for the readers that explain.

Managed policies are compiled once per (policy id, version id) and shared by every entity they are
attached to (``CompiledManagedPolicies``).

Queries, for enforcement's hot path (a cache miss): a user is its row, its groups, the inline
policies and the attachments of all of them at once, the customer managed policies (boundary
included) and its tags: six at most; a role five; a group four.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from iamd.policy import Policy, PolicySet, context_keys, parse_policy
from iamd.reference import managed_policies as aws_catalogue
from iamd.security.principal_kind import PrincipalKind
from iamd.security.session_tokens import SessionClaims
from iamd.service import policy_lookup
from iamd.store.schema import (
    group_members,
    groups,
    inline_policies,
    managed_policies,
    policy_attachments,
    policy_versions,
    roles,
    tags,
    users,
)


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

    def get(self, policy_id: str, version_id: str, arn: str, load_document: Callable[[], str | None]) -> Policy | None:
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


@dataclass(frozen=True, slots=True)
class Holder:
    """An entity that holds policies: a user, a group or a role."""

    kind: str  # "user" | "group" | "role"
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Sourced:
    """A policy with where it came from, for explanations (the simulator's statement positions, the
    entries of ListPoliciesGrantingServiceAccess)."""

    policy: Policy
    holder: Holder  # inline: the entity it is in; managed: the first holder it is attached to
    name: str  # inline: the policy's name; managed: the ARN's last segment
    arn: str | None = None  # managed policies only
    document: str | None = None  # the text; None for AWS managed policies, read from the catalogue on demand

    @property
    def text(self) -> str:
        if self.document is not None:
            return self.document
        return (aws_catalogue.document(self.arn) if self.arn else None) or ""


@dataclass(frozen=True)
class EntityPolicies:
    """What bears on one user, group or role, with the sources."""

    holders: tuple[Holder, ...]  # the entity, then (for a user) its groups by name
    identity: tuple[Sourced, ...]  # inline policies holder by holder, by name; then managed, as attached
    boundary: tuple[Sourced, ...] | None  # None: no boundary set; empty: set, but the policy is gone
    tags: tuple[tuple[str, str], ...]  # the entity's tags, for aws:PrincipalTag/*
    exists: bool = True  # False: no entity has that unique id (any more)

    @property
    def policy_set(self) -> PolicySet:
        boundary = None if self.boundary is None else tuple(s.policy for s in self.boundary)
        return PolicySet(identity=tuple(s.policy for s in self.identity), boundary=boundary)

    def held_by(self, holder: Holder) -> tuple[list[Sourced], list[Sourced]]:
        """(inline, managed) policies of one holder, each managed policy under its first holder only."""
        inline = [s for s in self.identity if s.arn is None and s.holder == holder]
        return inline, [s for s in self.identity if s.arn is not None and s.holder == holder]


@dataclass(frozen=True)
class PrincipalPolicies:
    """What enforcement keeps per principal (authorize.py's cache): the compiled set, the tags."""

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


def _same(document: str) -> str:
    return document


def _by_name(holder: Holder, name: str) -> str:
    return name


# A function of (holder, policy name): the policy id an inline policy is compiled under, which
# explanations show (enforcement: its name; the simulator: user_alice_name as AWS's does).
InlineId = Callable[[Holder, str], str]

_ENTITY = {
    "user": select(users.c.name, users.c.permissions_boundary).where(users.c.id == bindparam("id")),
    "role": select(roles.c.name, roles.c.permissions_boundary).where(roles.c.id == bindparam("id")),
    "group": select(groups.c.name).where(groups.c.id == bindparam("id")),
}
_GROUPS_OF_USER = (select(groups.c.id, groups.c.name).join(group_members, group_members.c.group_id == groups.c.id)
                   .where(group_members.c.user_id == bindparam("id")).order_by(groups.c.name_key))
_INLINE = (select(inline_policies.c.entity_id, inline_policies.c.name, inline_policies.c.document)
           .where(inline_policies.c.entity_id.in_(bindparam("ids", expanding=True))).order_by(inline_policies.c.name))
_ATTACHED = (select(policy_attachments.c.entity_id, policy_attachments.c.policy_arn)
             .where(policy_attachments.c.entity_id.in_(bindparam("ids", expanding=True)))
             .order_by(policy_attachments.c.attached_at, policy_attachments.c.policy_arn))
_CUSTOMER_DEFAULT = (
    select(managed_policies.c.id, managed_policies.c.arn, managed_policies.c.default_version_id,
           policy_versions.c.document)
    .join(policy_versions, (policy_versions.c.policy_id == managed_policies.c.id)
          & (policy_versions.c.version_id == managed_policies.c.default_version_id))
    .where(managed_policies.c.account_id == bindparam("account_id"),
           managed_policies.c.arn.in_(bindparam("arns", expanding=True)))
)
_TAGS = select(tags.c.key, tags.c.value).where(tags.c.resource_id == bindparam("id")).order_by(tags.c.position)


def load(tx: Connection, account_id: str, kind: str, entity_id: str, compiled: CompiledManagedPolicies,
         inline_id: InlineId = _by_name) -> EntityPolicies:
    """The policies of the user, group or role with this unique id (``exists`` False when none has it)."""
    row = tx.execute(_ENTITY[kind], {"id": entity_id}).first()
    holder = Holder(kind, entity_id, row.name if row is not None else "")
    holders = [holder]
    if kind == "user":
        holders += [Holder("group", group_id, name)
                    for group_id, name in tx.execute(_GROUPS_OF_USER, {"id": entity_id})]
    by_id = {h.id: h for h in holders}
    ids = list(by_id)
    inline: dict[str, list[Sourced]] = {h.id: [] for h in holders}
    for owner_id, name, document in tx.execute(_INLINE, {"ids": ids}):
        owner = by_id[owner_id]
        inline[owner_id].append(Sourced(parse_policy(document, policy_id=inline_id(owner, name),
                                                     policy_type="IAM Policy"), owner, name, document=document))
    attached: dict[str, list[str]] = {h.id: [] for h in holders}
    for owner_id, arn in tx.execute(_ATTACHED, {"ids": ids}):
        attached[owner_id].append(arn)
    first_holder: dict[str, Holder] = {}
    for h in holders:
        for arn in attached[h.id]:
            first_holder.setdefault(arn, h)
    boundary_arn = row.permissions_boundary if row is not None and kind != "group" else None
    found = _managed(tx, account_id, [*first_holder, *([boundary_arn] if boundary_arn else [])], compiled)
    identity = [s for h in holders for s in inline[h.id]]
    identity += [Sourced(found[arn][0], first_holder[arn], arn.rsplit("/", 1)[-1], arn, found[arn][1])
                 for arn in first_holder if arn in found]
    boundary: tuple[Sourced, ...] | None = None
    if boundary_arn:
        boundary = ()
        if boundary_arn in found:
            policy, document = found[boundary_arn]
            boundary = (Sourced(policy, holder, boundary_arn.rsplit("/", 1)[-1], boundary_arn, document),)
    entity_tags = () if kind == "group" else tuple((r.key, r.value) for r in tx.execute(_TAGS, {"id": entity_id}))
    return EntityPolicies(tuple(holders), tuple(identity), boundary, entity_tags, exists=row is not None)


def for_principal(tx: Connection, account_id: str, kind: PrincipalKind, user_id: str | None,
                  session: SessionClaims | None, compiled: CompiledManagedPolicies) -> PrincipalPolicies:
    """What enforcement evaluates for a caller: its user's or role's policies, narrowed by the session
    policies of its temporary credentials (a federated user's always are: none passed, none allowed)."""
    if kind is PrincipalKind.ASSUMED_ROLE and session is not None and session.role_id:
        loaded = load(tx, account_id, "role", session.role_id, compiled)
        policy_set = loaded.policy_set
        if session.session_policies or session.session_policy_arns:
            policy_set = PolicySet(identity=policy_set.identity, boundary=policy_set.boundary,
                                   session=session_policies(tx, account_id, session, compiled))
        # Session tags override the role's tags of the same key (aws:PrincipalTag).
        session_tags = {key.lower() for key in session.tags}
        role_tags = tuple((k, v) for k, v in loaded.tags if k.lower() not in session_tags)
        return PrincipalPolicies(policy_set, role_tags, loaded.exists)
    if kind is PrincipalKind.FEDERATED_USER and session is not None:
        narrowing = session_policies(tx, account_id, session, compiled)
        if session.user_id is None:  # federated by the root user: session policies alone, within the account
            return PrincipalPolicies(PolicySet(identity=narrowing), ())
        loaded = load(tx, account_id, "user", session.user_id, compiled)
        return PrincipalPolicies(PolicySet(identity=loaded.policy_set.identity, boundary=loaded.policy_set.boundary,
                                           session=narrowing), loaded.tags, loaded.exists)
    loaded = load(tx, account_id, "user", user_id or "", compiled)
    return PrincipalPolicies(loaded.policy_set, loaded.tags, loaded.exists)


def session_policies(tx: Connection, account_id: str, session: SessionClaims,
                     compiled: CompiledManagedPolicies) -> tuple[Policy, ...]:
    """The session policies its credentials carry: the inline texts, then the managed ARNs."""
    inline = tuple(parse_policy(text, policy_id="SessionPolicy", policy_type="Session Policy")
                   for text in session.session_policies)
    return inline + tuple(managed(tx, account_id, session.session_policy_arns, compiled))


def managed(tx: Connection, account_id: str, arns: Iterable[str], compiled: CompiledManagedPolicies) -> list[Policy]:
    """The default versions of managed policies, AWS's from the catalogue and the account's from the store;
    the customer managed ones first (as before: enforcement's order), gone ones left out."""
    arns = list(arns)
    found = _managed(tx, account_id, arns, compiled)
    customer = [arn for arn in arns if not policy_lookup.is_aws_managed(arn)]
    ordered = [arn for arn in customer if arn in found] + [arn for arn in arns if arn not in customer and arn in found]
    return [found[arn][0] for arn in dict.fromkeys(ordered)]


def _managed(tx: Connection, account_id: str, arns: list[str],
             compiled: CompiledManagedPolicies) -> dict[str, tuple[Policy, str | None]]:
    """arn → (compiled default version, its text; None for AWS's, read from the catalogue on demand):
    one query for the account's, none for AWS's."""
    found: dict[str, tuple[Policy, str | None]] = {}
    customer = [arn for arn in arns if not policy_lookup.is_aws_managed(arn)]
    if customer:
        for row in tx.execute(_CUSTOMER_DEFAULT, {"account_id": account_id, "arns": customer}):
            policy = compiled.get(row.id, row.default_version_id, row.arn, functools.partial(_same, row.document))
            if policy is not None:
                found[row.arn] = (policy, row.document)
    for arn in arns:
        if policy_lookup.is_aws_managed(arn) and arn not in found:
            entry = aws_catalogue.get(arn)
            if entry is not None:
                # The catalogue is read-only data shipped with iamd: its policy ids are stable.
                policy = compiled.get(entry.policy_id, entry.default_version_id, arn,
                                      functools.partial(aws_catalogue.document, arn))
                if policy is not None:
                    found[arn] = (policy, None)
    return found
