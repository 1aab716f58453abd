"""STS GetScopedCredentials: the caller's own session again, narrower or shorter.

As AWS's STS API Reference and the IAM User Guide ("Permissions for GetScopedCredentials") describe:
only temporary credentials may call it; the new credentials keep the session's identity (ARN, session
name, tags, source identity, MFA state) and add the request's Policy as one more scope-down layer
(at most 3; each narrows on its own, see ``authorize.scope_refusal``); DurationSeconds may shorten
the session, never extend it, and without it the new credentials expire with the caller's.

The session's issue time is kept too: a policy that revokes sessions issued before a moment
(aws:TokenIssueTime) must catch credentials scoped down from them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from iamd.errors import AccessDenied, InsufficientSessionLifetime, InvalidSubjectCredentials, ValidationError
from iamd.security import ids
from iamd.security.session_tokens import seal_claims
from iamd.service import policy_documents
from iamd.service.context import Call
from iamd.service.declare import Operation, any_resource

MAX_LAYERS = 3
_NOT_REISSUED = ("s", "exp", "pad")   # the secret, the expiry and the padding are the new credentials' own


def get_scoped_credentials(tx: Connection, call: Call, params: dict) -> dict:
    session = call.session
    if session is None or call.principal.is_root:
        raise InvalidSubjectCredentials("GetScopedCredentials must be called with the temporary security "
                                        "credentials of an IAM user, a role session or a federated user.")
    policy, seconds = params.get("Policy"), params.get("DurationSeconds")
    if policy is None and seconds is None:
        raise ValidationError("A request must provide at least one of Policy or DurationSeconds.")
    layers = list(session.get("scope", ()))
    if policy is not None:
        policy_documents.check_document(policy)
        if len(layers) >= MAX_LAYERS:
            raise AccessDenied(f"The calling session already carries {MAX_LAYERS} scope-down policies, the most "
                               "GetScopedCredentials allows.")
        layers.append(policy)
    now = int(call.now.timestamp())
    remaining = session["exp"] - now
    if seconds is not None and seconds > remaining:
        raise InsufficientSessionLifetime(f"The requested DurationSeconds ({seconds}) exceeds the remaining "
                                          f"lifetime of the calling session ({remaining} seconds).")
    expires = now + seconds if seconds is not None else session["exp"]
    claims = {key: value for key, value in session.items() if key not in _NOT_REISSUED}
    claims.update(scope=layers, exp=expires)
    key_id, secret = ids.access_key_id(session["a"], temporary=True), ids.secret_access_key()
    token = _sealed(call, key_id, {**claims, "s": secret}, params.get("MinimumSessionTokenSize") or 0)
    result = {
        "Credentials": {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token,
                        "Expiration": datetime.fromtimestamp(expires, UTC)},
        "SessionInfo": {"ScopedSessionId": call.principal.id, "Arn": call.principal.arn},
        "SessionTokenSize": len(token),
        "ScopedPoliciesCount": len(layers),
    }
    if session.get("si"):
        result["SourceIdentity"] = session["si"]
    return result


def _sealed(call: Call, key_id: str, claims: dict, minimum: int) -> str:
    """The token, padded (inside the seal) to at least ``minimum`` characters when asked."""
    token = seal_claims(call.env.sessions, key_id, claims)
    while len(token) < minimum:
        claims["pad"] = claims.get("pad", "") + "." * ((minimum - len(token)) * 3 // 4 + 1)
        token = seal_claims(call.env.sessions, key_id, claims)
    return token


OPERATIONS = (
    Operation("sts", "GetScopedCredentials", get_scoped_credentials, any_resource, writes=False,
              changes_access=False),
)
