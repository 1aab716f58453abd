"""IAM's quotas, enforced so that they hold under concurrency: lock the owner's row, then count.

    quotas.hold_user(tx, user)                                   # the user's row, until commit
    quotas.check(tx, quotas.ACCESS_KEYS, access_keys, access_keys.c.user_id == user.id)

The limits and AWS's message names are from "IAM and AWS STS quotas" (IAM User Guide,
reference_iam-quotas) and the LimitExceeded messages AWS returns ("Cannot exceed quota for <Name>:
<limit>"). Why a lock and not a constraint: a count is no column a constraint can check, and
SERIALIZABLE would turn every such race into a retry; a lock on the one row that owns the counted
things costs one indexed read and makes writers to that owner queue (see store/locks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select

from iamd.errors import AwsError, LimitExceeded, NoSuchEntity
from iamd.store.fastpath import HotQuery
from iamd.store.locks import lock_row
from iamd.store.schema import accounts, groups, instance_profiles, managed_policies, roles, users


@dataclass(frozen=True, slots=True)
class Quota:
    name: str  # as AWS names it in the message
    limit: int
    message: str = ""  # AWS's own wording, when it is not "Cannot exceed quota for <name>: <limit>"

    def exceeded(self) -> LimitExceeded:
        return LimitExceeded(self.message or f"Cannot exceed quota for {self.name}: {self.limit}")


# Per owner.
ACCESS_KEYS = Quota("AccessKeysPerUser", 2)
SIGNING_CERTIFICATES = Quota("CertificatesPerUser", 2)
SSH_KEYS = Quota("PublicKeysPerUser", 5)
MFA_DEVICES = Quota("MFADevicesPerUser", 8)
SERVICE_CREDENTIALS = Quota("ServiceSpecificCredentialsPerUserPerService", 2)
GROUPS_PER_USER = Quota("GroupsPerUser", 10)
POLICIES_PER = {"user": Quota("PoliciesPerUser", 10), "group": Quota("PoliciesPerGroup", 10),
                "role": Quota("PoliciesPerRole", 10)}
ROLES_PER_PROFILE = Quota("InstanceSessionsPerInstanceProfile", 1)
POLICY_VERSIONS = Quota("VersionsPerPolicy", 5, "A managed policy can have up to 5 versions. Before you create a "
                                                "new version, you must delete an existing version.")
# Per account (the quotas GetAccountSummary reports, and the two provider quotas). RolesPerAccount and
# InstanceProfilesPerAccount are names seen in AWS's answers; Users/Groups/PoliciesPerAccount follow them.
USERS = Quota("UsersPerAccount", 5000)
GROUPS = Quota("GroupsPerAccount", 300)
ROLES = Quota("RolesPerAccount", 1000)
POLICIES = Quota("PoliciesPerAccount", 1500)
INSTANCE_PROFILES = Quota("InstanceProfilesPerAccount", 1000)
SERVER_CERTIFICATES = Quota("ServerCertificatesPerAccount", 20)
OIDC_PROVIDERS = Quota("OpenIdConnectProvidersPerAccount", 100)
SAML_PROVIDERS = Quota("SamlProvidersPerAccount", 100)


def hold(tx: Connection, table, key: str, gone: AwsError) -> None:
    """Lock the owner's row until the transaction ends; ``gone`` when it was deleted meanwhile."""
    if not lock_row(tx, table, key):
        raise gone


_ENTITY_TABLES = {"user": users, "group": groups, "role": roles}


def hold_entity(tx: Connection, kind: str, entity) -> None:
    """A user's, group's or role's row (``kind``; ``entity`` has .id and .name); AWS's NoSuchEntity if gone."""
    hold(tx, _ENTITY_TABLES[kind], entity.id, NoSuchEntity(f"The {kind} with name {entity.name} cannot be found."))


def hold_user(tx: Connection, user) -> None:
    hold_entity(tx, "user", user)


def hold_group(tx: Connection, group) -> None:
    hold_entity(tx, "group", group)


def hold_role(tx: Connection, role) -> None:
    hold_entity(tx, "role", role)


def hold_credential_owner(tx: Connection, account_id: str, user_id: str | None, user_name: str) -> None:
    """The user's row, or for the root user's own credentials the account's row."""
    if user_id is None:
        hold_account(tx, account_id)
    else:
        hold(tx, users, user_id, NoSuchEntity(f"The user with name {user_name} cannot be found."))


def hold_account(tx: Connection, account_id: str) -> None:
    lock_row(tx, accounts, account_id)


def hold_policy(tx: Connection, policy, gone: AwsError) -> None:
    hold(tx, managed_policies, policy.id, gone)


def hold_profile(tx: Connection, profile, gone: AwsError) -> None:
    hold(tx, instance_profiles, profile.id, gone)


def count(tx: Connection, table, *where) -> int:
    return tx.scalar(select(func.count()).select_from(table).where(*where)) or 0


def check(tx: Connection, quota: Quota, table, *where, adding: int = 1) -> None:
    """Refuse when adding ``adding`` rows of ``table`` matching ``where`` would exceed the quota.

    Call it with the owner's row held, so that no one else adds between this count and the insert.
    """
    if count(tx, table, *where) + adding > quota.limit:
        raise quota.exceeded()


# The account-wide counts, one statement per table, built once (CreateUser, CreateRole ... each count).
_ACCOUNT_COUNTS: dict[str, HotQuery] = {}


def check_account(tx: Connection, quota: Quota, account_id: str, table) -> None:
    """An account-wide quota: the account's row is held, then the account's rows of ``table`` counted."""
    hold_account(tx, account_id)
    query = _ACCOUNT_COUNTS.get(table.name)
    if query is None:
        query = _ACCOUNT_COUNTS[table.name] = HotQuery(
            select(func.count()).select_from(table).where(table.c.account_id == bindparam("account_id")))
    if (query.scalar(tx, {"account_id": account_id}) or 0) + 1 > quota.limit:
        raise quota.exceeded()
