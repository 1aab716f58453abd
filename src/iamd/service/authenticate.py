"""From an access key id to the principal behind it, and the secret to check its signature with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import SessionClaims, open_session
from iamd.service.context import Environment, Principal
from iamd.store.fastpath import HotQuery
from iamd.store.schema import access_keys, accounts, users

_EPOCH = select(accounts.c.auth_epoch).where(accounts.c.id == bindparam("account_id"))

_INVALID = "The security token included in the request is invalid."
_KEY_ID = re.compile(r"\w{16,128}", re.ASCII)   # accessKeyIdType in botocore's IAM model

# A long-term key's row, its user's name and path, its account's change counter. The gateway reads it
# with one more column, its cache epoch, in the same statement (gateway/decision.py).
KEY_SELECT = (
    select(access_keys.c.id, access_keys.c.account_id, access_keys.c.secret, access_keys.c.status,
           access_keys.c.user_id, users.c.name, users.c.path, accounts.c.auth_epoch)
    .select_from(access_keys.outerjoin(users, users.c.id == access_keys.c.user_id)
                 .join(accounts, accounts.c.id == access_keys.c.account_id))
    .where(access_keys.c.id == bindparam("key_id"))
)
_KEY_QUERY = HotQuery(KEY_SELECT)


@dataclass(slots=True)  # not frozen: see service/context.py's Call
class KeyOwner:
    principal: Principal
    secret_access_key: str
    auth_epoch: int  # the account's change counter, read in the same query: see service/authorize.py
    session: SessionClaims | None = None  # the claims of temporary credentials; None for a long-term key
    session_context: dict = field(default_factory=dict)  # context keys the session carries


# The account each key was last seen in, to read a request's data ahead of knowing its caller (a guess:
# a wrong one only costs the round trips reading ahead would have saved). Bounded: cleared when full.
_ACCOUNT_OF_KEY: dict[str, str] = {}
_MAX_KEYS_REMEMBERED = 10_000


# What a long-term key's row says, opened once: its principal and its secret, by (box, the row's key id,
# account, sealed secret, user id, user name, path). AES-GCM on every request cost more than the
# signature's own HMAC, and building the frozen Principal a quarter of that. A key id is never reused, a
# secret sealed anew carries a new random nonce, and every column the principal is made of is in the
# entry's key (a user renamed, moved or re-created under its name has another key), so an entry can
# only fall out of use, never stand for another key, secret or user; the key's row is still read, and
# its status checked, on every request. Bounded: cleared when full.
_OPENED: dict[tuple, tuple[Principal, str]] = {}
_MAX_OPENED = 10_000


def is_temporary(key_id: str, token: str | None) -> bool:
    """Whether a request signs with temporary credentials, read from their sealed session token rather
    than from the store: any key sent with a token, and an ASIA key id (whose missing token is then
    refused as an invalid one, as AWS does)."""
    return token is not None or key_id.startswith("ASIA")


def authenticate(tx: Connection, env: Environment, key_id: str, token: str | None, now: datetime) -> KeyOwner:
    """Who signed a request with this key id (and session token, if any), and the secret to check the
    signature with: temporary credentials from their token, long-term keys from the store."""
    if is_temporary(key_id, token):
        if env.sessions is None:  # a tool's environment seals no session tokens: none can be valid
            raise InvalidClientTokenId(_INVALID)
        return principal_for_session(tx, env.sessions, key_id, token, now)
    return principal_for_key(tx, env.secrets, key_id)


def key_reads(key_id: str) -> tuple[str, list]:
    """The account a long-term key likely belongs to, and the read ``principal_for_key`` will make:
    for ``store.fastpath.read_ahead``."""
    account_id = _ACCOUNT_OF_KEY.get(key_id) or ids.account_of_access_key(key_id) or ""
    return account_id, [(_KEY_QUERY, {"key_id": key_id})]


def principal_for_key(tx: Connection, box: SecretBox, key_id: str) -> KeyOwner:
    """Who owns an access key, and its secret; an unknown or inactive key is InvalidClientTokenId."""
    return owner_of_key(box, key_row(tx, key_id))


def key_row(tx: Connection, key_id: str, query: HotQuery = _KEY_QUERY) -> Any:
    """The key's row (``query``: KEY_SELECT, or it with more columns); an unknown or inactive key is
    InvalidClientTokenId."""
    if not _KEY_ID.fullmatch(key_id):   # not asked of the store: no key looks so (and PostgreSQL refuses NUL)
        raise InvalidClientTokenId(_INVALID)
    row = query.first(tx, {"key_id": key_id})
    if row is None or row.status != "Active":
        raise InvalidClientTokenId(_INVALID)
    return row


def owner_of_key(box: SecretBox, row: Any) -> KeyOwner:
    """The principal and secret of a key's row (``key_row``)."""
    key_id = row.id
    if _ACCOUNT_OF_KEY.get(key_id) != row.account_id:
        if len(_ACCOUNT_OF_KEY) >= _MAX_KEYS_REMEMBERED:
            _ACCOUNT_OF_KEY.clear()
        _ACCOUNT_OF_KEY[key_id] = row.account_id
    sealed = bytes(row.secret)
    entry = (box, key_id, row.account_id, sealed, row.user_id, row.name, row.path)
    opened = _OPENED.get(entry)
    if opened is None:
        if len(_OPENED) >= _MAX_OPENED:
            _OPENED.clear()
        opened = _OPENED[entry] = (_principal_of_key(row), box.open(sealed, key_id))
    return KeyOwner(opened[0], opened[1], row.auth_epoch)


def _principal_of_key(row: Any) -> Principal:
    if row.user_id is None:
        return Principal(kind=PrincipalKind.ROOT, account_id=row.account_id, arn=ids.root_arn(row.account_id),
                         id=row.account_id, name=row.account_id, access_key_id=row.id)
    return Principal(kind=PrincipalKind.USER, account_id=row.account_id,
                     arn=ids.entity_arn(row.account_id, "user", row.path, row.name),
                     id=row.user_id, name=row.name, access_key_id=row.id, user_id=row.user_id, path=row.path)


def principal_for_session(tx: Connection, sessions: SecretBox, key_id: str, token: str | None,
                          now: datetime) -> KeyOwner:
    """Who holds temporary credentials: read from the sealed session token, no session table."""
    claims = open_session(sessions, key_id, token or "")
    if claims is None:
        raise InvalidClientTokenId(_INVALID)
    if now.timestamp() >= claims.expires_at:
        raise ExpiredToken("The security token included in the request is expired")
    epoch = tx.scalar(_EPOCH, {"account_id": claims.account_id})
    if epoch is None:
        raise InvalidClientTokenId(_INVALID)
    principal = Principal(kind=claims.kind, account_id=claims.account_id, arn=claims.arn, id=claims.id,
                          name=claims.name, access_key_id=key_id, user_id=claims.user_id, path=claims.path)
    return KeyOwner(principal, claims.secret, epoch, claims, session_context(claims, now))


def session_context(claims: SessionClaims, now: datetime) -> dict:
    """The context keys temporary credentials carry (aws:MultiFactorAuthPresent, aws:TokenIssueTime ...)."""
    context = {
        "aws:MultiFactorAuthPresent": "true" if claims.mfa else "false",
        "aws:TokenIssueTime": datetime.utcfromtimestamp(claims.issued_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if claims.mfa and claims.mfa_at is not None:
        context["aws:MultiFactorAuthAge"] = str(max(0, int(now.timestamp()) - claims.mfa_at))
    if claims.source_identity:
        context["aws:SourceIdentity"] = claims.source_identity
    if claims.federated_provider:  # a session from AssumeRoleWithWebIdentity: the OIDC provider's ARN
        context["aws:FederatedProvider"] = claims.federated_provider
    for key, value in claims.tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    context.update(claims.context)  # keys of a federated session (saml:sub ...)
    return context
