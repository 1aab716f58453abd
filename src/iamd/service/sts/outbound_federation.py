"""Outbound web identity federation: iamd as an OpenID Connect issuer for its own principals.

IAM EnableOutboundWebIdentityFederation / DisableOutboundWebIdentityFederation /
GetOutboundWebIdentityFederationInfo give each account an issuer URL, ``<public URL>/oidc/<uuid>``,
which serves ``/.well-known/openid-configuration`` and ``/.well-known/jwks.json`` (web/oidc_issuer.py).
STS GetWebIdentityToken signs a JWT for the caller with the account's current key.

Keys rotate without breaking tokens already issued: a key signs for ``key_rotation_seconds``, then a new
one takes over, and the old one stays in the JWKS until every token it signed has expired
(MAX_TOKEN_SECONDS later, with a margin); then it is deleted. Private keys are sealed at rest under the
master key. Disabling stops new tokens only: the JWKS stays published (AWS: disabling "does not affect
tokens that were issued before").

Sources: IAM API reference for the three operations; STS API reference "GetWebIdentityToken"; IAM User
Guide "Getting started with outbound identity federation", "Understanding token claims".
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import (
    FeatureDisabled,
    FeatureEnabled,
    JWTPayloadSizeExceeded,
    OutboundFederationDisabled,
    Problem,
    ValidationError,
)
from iamd.federation import signing
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service.context import Call
from iamd.service.declare import Operation, any_resource, iam
from iamd.store.schema import outbound_federation, token_signing_keys

MAX_TOKEN_SECONDS = 3_600
DEFAULT_TOKEN_SECONDS = 300
_MARGIN = timedelta(minutes=5)
MAX_PAYLOAD_BYTES = 16_384
NAMESPACE = "https://sts.amazonaws.com/"
DISABLED = "Outbound web identity federation is disabled for this account."
ALREADY_ENABLED = "Outbound web identity federation is already enabled for this account."


def issuer_url(call_or_base, issuer_id: str) -> str:
    base = call_or_base if isinstance(call_or_base, str) else call_or_base.env.issuer_base
    return f"{base}/oidc/{issuer_id}"


def _row(tx: Connection, account_id: str):
    return tx.execute(select(outbound_federation).where(outbound_federation.c.account_id == account_id)).first()


# ------------------------------------------------------------------------------------ IAM

def enable(tx: Connection, call: Call, params: dict) -> dict:
    row = _row(tx, call.account_id)
    if row is not None and row.enabled:
        raise FeatureEnabled(ALREADY_ENABLED)
    if row is None:
        issuer_id = str(uuid.uuid4())
        try:
            tx.execute(insert(outbound_federation).values(account_id=call.account_id, issuer_id=issuer_id,
                                                          enabled=True, updated_at=call.now))
        except IntegrityError:  # a concurrent Enable won
            raise FeatureEnabled(ALREADY_ENABLED) from None
    else:
        issuer_id = row.issuer_id
        tx.execute(update(outbound_federation).where(outbound_federation.c.account_id == call.account_id)
                   .values(enabled=True, updated_at=call.now))
    return {"IssuerIdentifier": issuer_url(call, issuer_id)}


def disable(tx: Connection, call: Call, params: dict) -> None:
    row = _row(tx, call.account_id)
    if row is None or not row.enabled:
        raise FeatureDisabled(DISABLED)
    tx.execute(update(outbound_federation).where(outbound_federation.c.account_id == call.account_id)
               .values(enabled=False, updated_at=call.now))


def info(tx: Connection, call: Call, params: dict) -> dict:
    row = _row(tx, call.account_id)
    if row is None:
        raise FeatureDisabled(DISABLED)
    return {"IssuerIdentifier": issuer_url(call, row.issuer_id), "JwtVendingEnabled": bool(row.enabled)}


# ------------------------------------------------------------------------------------ keys

def _signing_key(tx: Connection, call: Call, algorithm: str) -> tuple[str, str]:
    """(kid, private PEM) of the account's current key for the algorithm; a new one when it is due."""
    box = call.env.signing_keys
    if box is None:  # every environment that serves STS has one (service/runtime.py)
        raise RuntimeError("no key to seal token signing keys with")
    rotation = timedelta(seconds=call.env.key_rotation_seconds)
    row = tx.execute(select(token_signing_keys).where(
        token_signing_keys.c.account_id == call.account_id, token_signing_keys.c.algorithm == algorithm,
        token_signing_keys.c.created_at > call.now - rotation).order_by(token_signing_keys.c.created_at.desc())
    ).first()
    if row is not None:
        return row.kid, box.open(row.private_key, row.kid)
    kid = uuid.uuid4().hex
    private = signing.new_private_key(algorithm)
    tx.execute(insert(token_signing_keys).values(
        kid=kid, account_id=call.account_id, algorithm=algorithm, private_key=box.seal(private, kid),
        public_jwk=json.dumps(signing.public_jwk(private, algorithm, kid)), created_at=call.now))
    # Keys whose every token has expired are of no use to anyone: drop them.
    tx.execute(delete(token_signing_keys).where(
        token_signing_keys.c.account_id == call.account_id,
        token_signing_keys.c.created_at < call.now - rotation - timedelta(seconds=MAX_TOKEN_SECONDS) - _MARGIN))
    return kid, private


def published_keys(tx: Connection, account_id: str, now, rotation_seconds: int) -> list[dict]:
    """The JWKS: every key that signs now or signed a token that may not have expired yet."""
    oldest = now - timedelta(seconds=rotation_seconds + MAX_TOKEN_SECONDS) - _MARGIN
    rows = tx.execute(select(token_signing_keys.c.public_jwk).where(
        token_signing_keys.c.account_id == account_id, token_signing_keys.c.created_at > oldest)
        .order_by(token_signing_keys.c.created_at.desc()))
    return [json.loads(row.public_jwk) for row in rows]


def issuer_documents(tx: Connection, issuer_id: str, base: str, now, rotation_seconds: int) -> tuple[dict, dict] | None:
    """(discovery document, JWKS) of an issuer, or None for an issuer that does not exist."""
    row = tx.execute(select(outbound_federation).where(outbound_federation.c.issuer_id == issuer_id)).first()
    if row is None:
        return None
    issuer = issuer_url(base, issuer_id)
    discovery = {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json",
                 "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                 "id_token_signing_alg_values_supported": list(signing.ALGORITHMS)}
    return discovery, {"keys": published_keys(tx, row.account_id, now, rotation_seconds)}


# ------------------------------------------------------------------------------------ STS

def _identity_arn(call: Call) -> str:
    """The ARN a token names: the role's for a role session, else the caller's own."""
    principal, session = call.principal, call.session
    if principal.kind is PrincipalKind.ASSUMED_ROLE and session and session.role_name:
        return ids.entity_arn(principal.account_id, "role", session.path, session.role_name)
    return principal.arn


def get_web_identity_token(tx: Connection, call: Call, params: dict) -> dict:
    row = _row(tx, call.account_id)
    if row is None or not row.enabled:
        raise OutboundFederationDisabled(DISABLED)
    algorithm = params["SigningAlgorithm"]
    if algorithm not in signing.ALGORITHMS:
        allowed = ", ".join(signing.ALGORITHMS)
        raise ValidationError.detected([Problem("signingAlgorithm", f"Value '{algorithm}' at 'signingAlgorithm' "
                                                f"failed to satisfy constraint: Member must satisfy enum value set: "
                                                f"[{allowed}]")])
    audiences = params["Audience"]
    subject_mode = params.get("SubjectMode", "AWSIdentity")
    if "Scope" in params and (subject_mode != "OriginIdentity" or len(audiences) != 1):
        raise ValidationError("Scope can be specified only when SubjectMode is OriginIdentity and exactly one "
                              "Audience is requested.")
    # Tags and Scope each need a permission of their own besides sts:GetWebIdentityToken.
    if params.get("Tags"):
        call.env.authorizer.check(tx, call, _TAG_TOKEN, params)
    if "Scope" in params:
        call.env.authorizer.check(tx, call, _SET_SCOPE, params)
    seconds = params.get("DurationSeconds", DEFAULT_TOKEN_SECONDS)
    arn = _identity_arn(call)
    session = call.session
    origin = session.source_identity if session and session.source_identity is not None else arn
    subject = origin if subject_mode == "OriginIdentity" else arn
    principal_tags = {key: value for key, value in call.env.authorizer.policies_of(tx, call).tags}
    principal_tags.update(session.tags if session else {})
    custom: dict = {"aws_account": call.account_id, "source_region": call.region, "principal_id": arn}
    if principal_tags:
        custom["principal_tags"] = principal_tags
    if params.get("Tags"):
        custom["request_tags"] = {tag["Key"]: tag.get("Value", "") for tag in params["Tags"]}
    issued = int(call.now.timestamp())
    claims = {"iss": issuer_url(call, row.issuer_id), "sub": subject,
              "aud": audiences[0] if len(audiences) == 1 else list(audiences),
              "iat": issued, "nbf": issued, "exp": issued + seconds, "jti": str(uuid.uuid4()), NAMESPACE: custom}
    if "Scope" in params:
        claims["scope"] = params["Scope"]
    if len(json.dumps(claims)) > MAX_PAYLOAD_BYTES:
        raise JWTPayloadSizeExceeded("The JWT payload exceeds the maximum size.")
    kid, private = _signing_key(tx, call, algorithm)
    return {"WebIdentityToken": signing.sign(claims, private, algorithm, kid),
            "Expiration": call.now + timedelta(seconds=seconds)}


_TAG_TOKEN = Operation("sts", "TagGetWebIdentityToken", get_web_identity_token, any_resource)
_SET_SCOPE = Operation("sts", "SetWebIdentityTokenScope", get_web_identity_token, any_resource)

OPERATIONS = (
    iam("EnableOutboundWebIdentityFederation", enable, any_resource, changes_access=False),
    iam("DisableOutboundWebIdentityFederation", disable, any_resource, changes_access=False),
    iam("GetOutboundWebIdentityFederationInfo", info, any_resource, writes=False),
    Operation("sts", "GetWebIdentityToken", get_web_identity_token, any_resource, writes=True, changes_access=False),
)
