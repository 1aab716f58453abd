"""What a verified token's claims mean to AWS: the audience check, the condition keys a trust policy
reads, session tags and the source identity. PURE.

Sources (AWS IAM User Guide): "Available keys for AWS OIDC federation" (IAM and AWS STS condition
context keys) for ``<provider>:aud`` (the azp claim when present, else aud), ``:oaud`` (aud when azp is
present), ``:sub``, ``:amr``, ``:email``; "Passing session tags using AssumeRoleWithWebIdentity" for
the ``https://aws.amazon.com/tags`` claim; "Monitor and control actions taken with assumed roles" for
``https://aws.amazon.com/source_identity``.
"""

from __future__ import annotations

import re

from iamd.errors import IDPRejectedClaim, InvalidIdentityToken, InvalidParameterValue

TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
MAX_TAGS = 50
_TAG_KEY = re.compile(r"^[\w\s_.:/=+\-@]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w\s_.:/=+\-@]{0,256}$")
_SOURCE_IDENTITY = re.compile(r"^[\w+=,.@-]{2,64}$")


def audience(claims: dict, client_ids: list[str], audiences: list[str]) -> str:
    """The client id the token was issued to, which must be registered with the provider: azp when
    the token has one, else one of its aud values."""
    azp = claims.get("azp")
    if isinstance(azp, str) and azp in client_ids:
        return azp
    for value in audiences:
        if value in client_ids:
            return value
    raise InvalidIdentityToken("Incorrect token audience")


def condition_keys(provider: str, claims: dict, audiences: list[str], client_id: str) -> dict:
    """``<provider>:<claim>`` keys for the trust policy; provider is the URL without https://.
    ``:aud`` is single-valued: the client id the token was accepted for (``audience``), even when the
    token's aud claim lists several; ``:oaud`` keeps the aud claim when azp is present (multivalued only
    when the claim lists several audiences)."""
    keys: dict = {}
    azp = claims.get("azp")
    if isinstance(azp, str):
        keys[f"{provider}:aud"] = azp
        keys[f"{provider}:azp"] = azp
        # AWS's own example tests oaud with StringEquals: a single audience is a single value.
        keys[f"{provider}:oaud"] = audiences[0] if len(audiences) == 1 else audiences
    elif audiences:
        keys[f"{provider}:aud"] = client_id
    for name in ("sub", "email"):
        if isinstance(claims.get(name), str):
            keys[f"{provider}:{name}"] = claims[name]
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = [amr]
    if isinstance(amr, list):
        keys[f"{provider}:amr"] = [str(item) for item in amr]
    return keys


def session_tags(claims: dict) -> dict:
    """{"tags": {key: value}, "transitive": [keys]} from the tags claim; both empty when it is absent.

    AWS's shape: {"principal_tags": {"Key": ["value"]}, "transitive_tag_keys": ["Key"]}; each tag has
    a single value.
    """
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return {"tags": {}, "transitive": []}
    if isinstance(raw, list) and len(raw) == 1:  # some issuers wrap the object in a list
        raw = raw[0]
    if not isinstance(raw, dict):
        raise IDPRejectedClaim(f"The {TAGS_CLAIM} claim is malformed.")
    principal_tags = raw.get("principal_tags", {})
    transitive = raw.get("transitive_tag_keys", [])
    if not isinstance(principal_tags, dict) or not isinstance(transitive, list):
        raise IDPRejectedClaim(f"The {TAGS_CLAIM} claim is malformed.")
    tags: dict = {}
    for key, values in principal_tags.items():
        value = values[0] if isinstance(values, list) and len(values) == 1 else values
        if not isinstance(value, str) or not _TAG_KEY.match(key) or not _TAG_VALUE.match(value):
            raise IDPRejectedClaim(f"The {TAGS_CLAIM} claim holds an invalid session tag.")
        tags[key] = value
    if len(tags) > MAX_TAGS:
        raise IDPRejectedClaim(f"The {TAGS_CLAIM} claim holds more than {MAX_TAGS} session tags.")
    lowered = [key.lower() for key in tags]
    if len(set(lowered)) != len(lowered):
        raise InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    if any(not isinstance(key, str) or key.lower() not in lowered for key in transitive):
        raise InvalidParameterValue("The specified transitive tag key must be included in the requested tags.")
    return {"tags": tags, "transitive": list(transitive)}


def source_identity(claims: dict) -> str | None:
    value = claims.get(SOURCE_IDENTITY_CLAIM)
    if value is None:
        return None
    if not isinstance(value, str) or not _SOURCE_IDENTITY.match(value) or value.lower().startswith("aws:"):
        raise IDPRejectedClaim(f"The {SOURCE_IDENTITY_CLAIM} claim is not a valid source identity.")
    return value
