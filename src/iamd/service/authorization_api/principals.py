"""Principals for the authorization API: the one behind a verified key, described without its secret, and
the one a PrincipalArn names (a user, or a session of a role, in the caller's account)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, bindparam, select

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.security.session_tokens import SessionClaims
from iamd.service.authenticate import KeyOwner
from iamd.service.authorize import Authorizer
from iamd.service.context import Call, Environment, Principal
from iamd.service.identities import roles, users
from iamd.store.fastpath import HotQuery
from iamd.store.schema import accounts

_TYPES = {"root": "Root", "user": "User", "assumed-role": "AssumedRole", "federated-user": "FederatedUser"}
_EPOCH = HotQuery(select(accounts.c.auth_epoch).where(accounts.c.id == bindparam("account_id")))
# The session name given to a role named by ARN: a session with no session policy, as the role alone allows.
DEFAULT_SESSION = "iamd-authorization"


# The last whole second ``to_the_second`` made, by its POSIX second: a service's calls share each second.
_last_second: tuple[int | None, datetime] = (None, datetime.min)


def to_the_second(now: datetime) -> datetime:
    """``now.replace(microsecond=0)``, which costs ~9,000 instructions a call (its keyword parsing), twice
    a call: a moment already whole is itself, one in UTC the second last made when it is the same."""
    global _last_second
    if not now.microsecond:
        return now
    if now.tzinfo is not UTC:
        return now.replace(microsecond=0)
    second, last = int(now.timestamp() // 1), _last_second  # one read: another thread may replace it meanwhile
    if second == last[0]:
        return last[1]
    whole = now.replace(microsecond=0)
    _last_second = (second, whole)
    return whole


def principal_call(tx: Connection, env: Environment, owner: KeyOwner, now: datetime, request_id: str,
                   region: str, connection: dict | None = None) -> Call:
    """The call a verified principal would make: what decide() weighs its policies for. ``connection``:
    the client's connection keys the service reports (decisions.connection_keys), the region among them."""
    keys: dict[str, Any] = {"region": region, **connection} if connection else {"region": region}
    return Call(principal=owner.principal, now=to_the_second(now), request_id=request_id, env=env,
                service="iamd", auth_epoch=owner.auth_epoch, tx=tx, session=owner.session,
                session_context=owner.session_context, **keys)


def describe(call: Call, principal_tags: tuple[tuple[str, str], ...] | None = None) -> dict:
    """The principal as the API returns it: ARN, account, ids, session context, tags; never a secret.
    ``principal_tags``: its tags as its decisions already loaded them (Decider.principal_tags), if they were."""
    principal = call.principal
    if principal.is_root:
        tags = {}
    elif principal_tags is not None:
        tags = dict(principal_tags)
    else:
        tags = dict(cast(Authorizer, call.env.authorizer).policies_of(cast(Connection, call.tx), call).tags)
    session = call.session
    if session is not None:
        tags.update(session.tags)
    described: dict = {"Arn": principal.arn, "AccountId": principal.account_id,
                       "Type": _TYPES.get(principal.kind, principal.kind), "UserId": principal.id,
                       "Name": principal.name, "Tags": tags}
    if principal.access_key_id:
        described["AccessKeyId"] = principal.access_key_id
    if principal.kind == PrincipalKind.ASSUMED_ROLE and session is not None:
        described["RoleId"] = session.role_id or ""
        described["RoleArn"] = ids.entity_arn(principal.account_id, "role", session.path, session.role_name or "")
    elif principal.user_id:
        described["IamUserId"] = principal.user_id
    if session is not None and session.issued_at:
        context: dict = {"CreationDate": _iso(session.issued_at), "Expiration": _iso(session.expires_at),
                         "MfaAuthenticated": session.mfa}
        if principal.kind == PrincipalKind.ASSUMED_ROLE:
            context["Issuer"] = {"Type": "Role", "Arn": described["RoleArn"], "PrincipalId": described["RoleId"]}
        if session.source_identity:
            context["SourceIdentity"] = session.source_identity
        if session.federated_provider:
            context["FederatedProvider"] = session.federated_provider
        described["SessionContext"] = context
    if session is not None and session.source_identity:
        described["SourceIdentity"] = session.source_identity
    return described


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_for_arn(tx: Connection, env: Environment, account_id: str, arn: str, now: datetime, request_id: str,
                 region: str) -> Call:
    """The call of the principal an ARN names in ``account_id``: a user, a role (as a session of it), or
    an assumed-role session of one of the account's roles. Other accounts' principals are unknown here."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        raise InvalidInput(f"PrincipalArn {arn!r} is not an IAM user, role or assumed-role ARN.")
    if parts[4] != account_id:
        raise NoSuchEntity(f"The principal {arn} cannot be found in account {account_id}.")
    found = _EPOCH.first(tx, {"account_id": account_id})
    epoch = found.auth_epoch if found is not None else 0
    service, resource = parts[2], parts[5]
    if service == "iam" and resource.startswith("user/"):
        row = users.find_user(tx, account_id, resource.rsplit("/", 1)[-1])
        if users.user_arn(row) != arn:  # the path must match too
            raise users.not_found(resource.rsplit("/", 1)[-1])
        principal = Principal(kind=PrincipalKind.USER, account_id=account_id, arn=arn, id=row.id, name=row.name,
                              access_key_id="", user_id=row.id, path=row.path)
        return Call(principal=principal, now=now.replace(microsecond=0), request_id=request_id, env=env,
                    region=region, service="iamd", auth_epoch=epoch, tx=tx)
    if service == "iam" and resource.startswith("role/"):
        role = roles.find_role_by_arn(tx, arn)
        session_name = DEFAULT_SESSION
    elif service == "sts" and resource.startswith("assumed-role/") and resource.count("/") == 2:
        _, role_name, session_name = resource.split("/")
        role = roles.find_role(tx, account_id, role_name)
    else:
        raise InvalidInput(f"PrincipalArn {arn!r} is not an IAM user, role or assumed-role ARN.")
    if role is None:
        raise NoSuchEntity(f"The principal {arn} cannot be found in account {account_id}.")
    session_arn = f"arn:aws:sts::{account_id}:assumed-role/{role.name}/{session_name}"
    principal = Principal(kind=PrincipalKind.ASSUMED_ROLE, account_id=account_id, arn=session_arn,
                          id=f"{role.id}:{session_name}", name=session_name, access_key_id="", path=role.path)
    claims = SessionClaims(account_id=account_id, kind=PrincipalKind.ASSUMED_ROLE, id=principal.id,
                           name=session_name, arn=session_arn, path=role.path, role_id=role.id, role_name=role.name)
    return Call(principal=principal, now=now.replace(microsecond=0), request_id=request_id, env=env, region=region,
                service="iamd", auth_epoch=epoch, tx=tx, session=claims)
