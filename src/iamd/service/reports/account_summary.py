"""GetAccountSummary: what the account holds, counted from the tables, next to IAM's quotas."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.providers import oidc_providers, saml_providers
from iamd.store.schema import (
    access_keys,
    accounts,
    groups,
    instance_profiles,
    managed_policies,
    mfa_devices,
    policy_attachments,
    roles,
    server_certificates,
    signing_certificates,
    users,
)

# IAM's quotas as GetAccountSummary reports them.
QUOTAS = {
    "AccessKeysPerUserQuota": 2,
    "AssumeRolePolicySizeQuota": 2048,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "GroupPolicySizeQuota": 5120,
    "GroupsPerUserQuota": 10,
    "GroupsQuota": 300,
    "InstanceProfilesQuota": 1000,
    "PoliciesQuota": 1500,
    "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000,
    "RolePolicySizeQuota": 10240,
    "RolesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "SigningCertificatesPerUserQuota": 2,
    "UserPolicySizeQuota": 2048,
    "UsersQuota": 5000,
    "VersionsPerPolicyQuota": 5,
    "GlobalEndpointTokenVersion": 1,
}


def _count(tx: Connection, table, *where) -> int:
    return tx.scalar(select(func.count()).select_from(table).where(*where)) or 0



def get_account_summary(tx: Connection, call: Call, params: dict) -> dict:
    account = call.account_id
    summary = dict(QUOTAS)
    summary.update(
        Users=_count(tx, users, users.c.account_id == account),
        Groups=_count(tx, groups, groups.c.account_id == account),
        Roles=_count(tx, roles, roles.c.account_id == account),
        InstanceProfiles=_count(tx, instance_profiles, instance_profiles.c.account_id == account),
        ServerCertificates=_count(tx, server_certificates, server_certificates.c.account_id == account),
        Providers=oidc_providers.count(tx, account) + saml_providers.count(tx, account),
        Policies=_count(tx, managed_policies, managed_policies.c.account_id == account),
        # Each attachment of a managed policy (customer or AWS managed) puts one policy version in use.
        PolicyVersionsInUse=_count(tx, policy_attachments, policy_attachments.c.account_id == account),
        MFADevices=_count(tx, mfa_devices, mfa_devices.c.account_id == account),
        MFADevicesInUse=_count(tx, mfa_devices, mfa_devices.c.account_id == account, mfa_devices.c.user_id.isnot(None)),
        AccountMFAEnabled=0,  # the root user has no MFA device in iamd
        AccountPasswordPresent=1 if tx.scalar(select(accounts.c.root_password_hash)
                                              .where(accounts.c.id == account)) else 0,
        GlobalEndpointTokenVersion=tx.scalar(select(accounts.c.global_endpoint_token_version)
                                             .where(accounts.c.id == account)) or 1,
        AccountSigningCertificatesPresent=1 if _count(tx, signing_certificates,
                                                      signing_certificates.c.account_id == account,
                                                      signing_certificates.c.user_id.is_(None)) else 0,
        AccountAccessKeysPresent=1 if _count(tx, access_keys, access_keys.c.account_id == account,
                                             access_keys.c.user_id.is_(None)) else 0,
    )
    return {"SummaryMap": summary}


OPERATIONS = (iam("GetAccountSummary", get_account_summary, any_resource, writes=False),)
