"""Every operation iamd serves, collected from the service modules that declare them.

Each module declares its operations next to its handlers (``OPERATIONS`` built with
``service.declare``); this table joins them. At start-up the web layer checks it against botocore's
models: an operation of the model that is not here answers ``NotImplemented`` and names itself, and
docs/coverage.md is generated from it.
"""

from __future__ import annotations

from iamd.service import (
    access_keys,
    account_settings,
    assume_role_with_saml,
    credential_report,
    groups,
    identity_providers,
    inline_policies,
    instance_profiles,
    last_accessed,
    login_profiles,
    managed_policies,
    mfa,
    organizations,
    outbound_federation,
    password_policy,
    roles,
    scoped_credentials,
    server_certificates,
    service_access,
    service_linked_roles,
    simulator,
    sts,
    user_credentials,
    users,
    web_identity,
)
from iamd.service.declare import Operation

_MODULES = (users, access_keys, groups, inline_policies, managed_policies, login_profiles, password_policy,
            account_settings, roles, instance_profiles, service_linked_roles, mfa, credential_report, simulator,
            user_credentials, server_certificates, identity_providers, service_access, last_accessed, organizations,
            sts, scoped_credentials, web_identity, outbound_federation, assume_role_with_saml)


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
