"""Service-specific credentials: CreateServiceSpecificCredential, ListServiceSpecificCredentials,
ResetServiceSpecificCredential, UpdateServiceSpecificCredential, DeleteServiceSpecificCredential.

A user name and password for one service (CodeCommit, Amazon Keyspaces), or a long-term API key
(Amazon Bedrock, CloudWatch Logs: an alias and a secret). The password is shown once, when created
or reset, and sealed at rest. The service user name, ``<user-name>-at-<account>``, is fixed at
creation: renaming the user does not change it. At most two per service per user.
"""

from __future__ import annotations

import base64
import secrets

from sqlalchemy import Connection, delete, insert, select, update

from iamd.errors import NoSuchEntity, NotImplementedOperation
from iamd.security import ids
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.schema import service_specific_credentials as credentials, users as users_table

# Services with user name and password credentials, and those with long-term API keys.
PASSWORD_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com"})
API_KEY_SERVICES = frozenset({"bedrock.amazonaws.com", "logs.amazonaws.com"})
SUPPORTED_SERVICES = PASSWORD_SERVICES | API_KEY_SERVICES
MAX_PER_SERVICE_PER_USER = quotas.SERVICE_CREDENTIALS.limit


def _check_service(name: str) -> None:
    if name not in SUPPORTED_SERVICES:
        raise NoSuchEntity(f"No such service {name} is supported for Service Specific Credentials")


def _new_password() -> str:
    return base64.b64encode(secrets.token_bytes(33)).decode()


def _describe(row, user_name: str, password: str | None = None) -> dict:
    """A credential as AWS shows it; with its password (or API key secret) when one is given."""
    found = {
        "UserName": user_name, "Status": row.status, "CreateDate": row.created_at,
        "ServiceSpecificCredentialId": row.id, "ServiceName": row.service_name,
    }
    if row.service_name in API_KEY_SERVICES:
        found["ServiceCredentialAlias"] = row.service_user_name
        if password is not None:
            found["ServiceCredentialSecret"] = password
    else:
        found["ServiceUserName"] = row.service_user_name
        if password is not None:
            found["ServicePassword"] = password
    return found


def create_service_specific_credential(tx: Connection, call: Call, params: dict) -> dict:
    user = users.target_user(tx, call, params["UserName"])
    service = params["ServiceName"]
    _check_service(service)
    if "CredentialAgeDays" in params:
        # The store keeps no expiry yet: refuse rather than hand out a key that never expires.
        raise NotImplementedOperation("CredentialAgeDays is not supported by iamd yet.")
    quotas.hold_user(tx, user)
    quotas.check(tx, quotas.SERVICE_CREDENTIALS, credentials,
                 credentials.c.user_id == user.id, credentials.c.service_name == service)
    credential_id, password = ids.unique_id("service-specific-credential"), _new_password()
    tx.execute(insert(credentials).values(
        id=credential_id, user_id=user.id, service_name=service,
        service_user_name=f"{user.name}-at-{call.account_id}",
        password=call.env.secrets.seal(password, credential_id), status="Active", created_at=call.now,
    ))
    row = tx.execute(select(credentials).where(credentials.c.id == credential_id)).one()
    return {"ServiceSpecificCredential": _describe(row, user.name, password)}


def list_service_specific_credentials(tx: Connection, call: Call, params: dict) -> dict:
    query = select(credentials, users_table.c.name.label("user_name")).join(
        users_table, users_table.c.id == credentials.c.user_id)
    if params.get("AllUsers"):
        query = query.where(users_table.c.account_id == call.account_id)
    elif params.get("UserName") is None and call.principal.is_root:
        return {"ServiceSpecificCredentials": [], "IsTruncated": False}  # the root user has none
    else:
        query = query.where(credentials.c.user_id == users.named_or_caller(tx, call, params.get("UserName")).id)
    service = params.get("ServiceName")
    if service is not None:
        _check_service(service)
        query = query.where(credentials.c.service_name == service)
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(credentials.c.id > after)
    rows = tx.execute(query.order_by(credentials.c.id).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.id)
    return {"ServiceSpecificCredentials": [_describe(row, row.user_name) for row in rows], **paging}


def _find(tx: Connection, call: Call, params: dict):
    user = users.named_or_caller(tx, call, params.get("UserName"))
    credential_id = params["ServiceSpecificCredentialId"]
    row = tx.execute(select(credentials).where(credentials.c.user_id == user.id,
                                               credentials.c.id == credential_id)).first()
    if row is None:
        raise NoSuchEntity(f"No such credential {credential_id} exists")
    return user, row


def reset_service_specific_credential(tx: Connection, call: Call, params: dict) -> dict:
    user, row = _find(tx, call, params)
    password = _new_password()
    tx.execute(update(credentials).where(credentials.c.id == row.id)
               .values(password=call.env.secrets.seal(password, row.id)))
    return {"ServiceSpecificCredential": _describe(row, user.name, password)}


def update_service_specific_credential(tx: Connection, call: Call, params: dict) -> None:
    _, row = _find(tx, call, params)
    tx.execute(update(credentials).where(credentials.c.id == row.id).values(status=params["Status"]))


def delete_service_specific_credential(tx: Connection, call: Call, params: dict) -> None:
    _, row = _find(tx, call, params)
    tx.execute(delete(credentials).where(credentials.c.id == row.id))


OPERATIONS = (
    # These credentials reach one other service only: no change to IAM permissions.
    iam("CreateServiceSpecificCredential", create_service_specific_credential, users.resource_arn,
        changes_access=False),
    iam("ListServiceSpecificCredentials", list_service_specific_credentials, users.resource_arn, writes=False),
    iam("ResetServiceSpecificCredential", reset_service_specific_credential, users.resource_arn,
        changes_access=False),
    iam("UpdateServiceSpecificCredential", update_service_specific_credential, users.resource_arn,
        changes_access=False),
    iam("DeleteServiceSpecificCredential", delete_service_specific_credential, users.resource_arn,
        changes_access=False),
)
