"""Every operation iamd serves, collected from the service modules that declare them.

Each module declares its operations next to its handlers (``OPERATIONS`` built with
``service.declare``); this table joins them. At start-up the web layer checks it against botocore's
models: an operation of the model that is not here answers ``NotImplemented`` and names itself, and
docs/coverage.md is generated from it.
"""

from __future__ import annotations

from iamd.service.account import aliases, organizations, password_policy
from iamd.service.credentials import (
    access_keys,
    login_profiles,
    mfa,
    server_certificates,
    service_credentials,
    signing_certificates,
    ssh_keys,
)
from iamd.service.declare import Operation
from iamd.service.identities import groups, instance_profiles, roles, service_linked_roles, users
from iamd.service.policies import inline_policies, managed_policies
from iamd.service.providers import oidc_providers, saml_providers
from iamd.service.reports import (
    account_summary,
    authorization_details,
    credential_report,
    last_accessed,
    service_access,
    simulator,
)
from iamd.service.sts import (
    assume_role,
    assume_role_with_saml,
    caller,
    federation_token,
    outbound_federation,
    scoped_credentials,
    session_token,
    web_identity,
)

# Area by area, as the packages under service/ hold them. managed_policies.OPERATIONS holds the
# policy versions' and attachments' too (the whole managed-policy area).
_MODULES = (
    users, groups, roles, instance_profiles, service_linked_roles,
    access_keys, login_profiles, mfa, ssh_keys, signing_certificates, server_certificates, service_credentials,
    managed_policies, inline_policies,
    oidc_providers, saml_providers,
    caller, session_token, assume_role, federation_token, web_identity, assume_role_with_saml, scoped_credentials,
    outbound_federation,
    aliases, password_policy, organizations,
    account_summary, authorization_details, credential_report, simulator, service_access, last_accessed,
)


def _collect() -> dict[tuple[str, str], Operation]:
    table: dict[tuple[str, str], Operation] = {}
    for module in _MODULES:
        for operation in module.OPERATIONS:
            key = (operation.service, operation.name)
            if key in table:
                raise RuntimeError(f"{operation.action} is declared twice")
            table[key] = operation
    return table


OPERATIONS: dict[tuple[str, str], Operation] = _collect()
