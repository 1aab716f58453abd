"""AWS KMS: key and alias ARNs, the encryption context, algorithms, grants and key-creation keys.

Source: Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management
Service"; the KMS Developer Guide's "AWS KMS condition keys" (kms:EncryptionContext:<key> per pair,
kms:EncryptionContextKeys the keys, kms:RequestAlias the alias a request names its key by,
kms:CallerAccount the caller's account) and "ReEncrypt" (kms:ReEncryptFrom on the source key,
kms:ReEncryptTo on the destination key).

A key named by an alias is evaluated, at AWS, as the key the alias points to. The gateway does not
look it up: pass ``kms_alias`` (the edge's lookup at the upstream, e.g. ListAliases, cached) to
authorization_items; without it the resource is ``*``, which a policy naming key ARNs does not match
(refused rather than allowed), and kms:RequestAlias is set either way. Decrypt (and ReEncrypt's source)
without a KeyId names its key inside the ciphertext, in a format AWS does not document: also ``*``,
unless the ciphertext is moto's (``moto/kms/utils.py``: the key id, a UUID, in its first 36 bytes,
"a simple binary format. It is not what KMS actually does"), whose key is then evaluated as AWS
evaluates the key its ciphertext names. A ciphertext that does not begin with a UUID stays ``*``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item, parse_arn

PREFIX = "kms"

# Request members -> KMS condition keys (kept only where the reference lists the key for the action).
MEMBER_KEYS = {
    "EncryptionAlgorithm": "kms:EncryptionAlgorithm",
    "SigningAlgorithm": "kms:SigningAlgorithm",
    "MacAlgorithm": "kms:MacAlgorithm",
    "MessageType": "kms:MessageType",
    "KeyPairSpec": "kms:DataKeyPairSpec",
    "KeySpec": "kms:KeySpec",
    "CustomerMasterKeySpec": "kms:CustomerMasterKeySpec",
    "KeyUsage": "kms:KeyUsage",
    "Origin": "kms:KeyOrigin",
    "MultiRegion": "kms:MultiRegion",
    "BypassPolicyLockoutSafetyCheck": "kms:BypassPolicyLockoutSafetyCheck",
    "PendingWindowInDays": "kms:ScheduleKeyDeletionPendingWindowInDays",
    "RotationPeriodInDays": "kms:RotationPeriodInDays",
    "WrappingAlgorithm": "kms:WrappingAlgorithm",
    "WrappingKeySpec": "kms:WrappingKeySpec",
    "GranteePrincipal": "kms:GranteePrincipal",
    "RetiringPrincipal": "kms:RetiringPrincipal",
    "Operations": "kms:GrantOperations",
    "KeyAgreementAlgorithm": "kms:KeyAgreementAlgorithm",
    "ReplicaRegion": "kms:ReplicaRegion",
    "PrimaryRegion": "kms:PrimaryRegion",
    "ExpirationModel": "kms:ExpirationModel",
    "ValidTo": "kms:ValidTo",
}


def _encryption_context(ctx: dict[str, ContextValue], context: Any) -> None:
    if isinstance(context, Mapping) and context:
        for k, v in context.items():
            ctx[f"kms:EncryptionContext:{k}"] = str(v)
        ctx["kms:EncryptionContextKeys"] = [str(k) for k in context]


def _context(t: Target) -> dict[str, ContextValue]:
    params = t.params
    ctx: dict[str, ContextValue] = {"kms:CallerAccount": t.account}
    for member, value in params.items():
        key = MEMBER_KEYS.get(member)
        if key is not None:
            add(ctx, key, value)
    _encryption_context(ctx, params.get("EncryptionContext"))
    constraints = params.get("Constraints")
    if isinstance(constraints, Mapping):  # CreateGrant
        for name, kind in (("EncryptionContextEquals", "EncryptionContextEquals"),
                           ("EncryptionContextSubset", "EncryptionContextSubset")):
            if name in constraints:
                ctx["kms:GrantConstraintType"] = kind
                _encryption_context(ctx, constraints[name])
    return ctx


def _key(t: Target, key_id: Any) -> tuple[dict[str, str], str | None, str | None, str | None]:
    """(placeholder values, owner, region, alias named) for a KeyId member: a key id, key ARN, alias
    name or alias ARN."""
    if not isinstance(key_id, str) or not key_id:
        return {}, None, None, None
    arn = parse_arn(key_id)
    if arn is not None:
        if arn.resource.startswith("key/"):
            return {"KeyId": arn.resource[4:]}, arn.account, arn.region, None
        if arn.resource.startswith("alias/"):
            return _alias(t, arn.resource, arn.account, arn.region)
        return {}, None, None, None
    if key_id.startswith("alias/"):
        return _alias(t, key_id, None, None)
    return {"KeyId": key_id}, None, None, None


def _alias(t: Target, alias: str, owner: str | None, region: str | None) -> tuple[dict[str, str], str | None,
                                                                                  str | None, str | None]:
    target = t.kms_alias(owner or t.account, region or t.region, alias) if t.kms_alias else None
    values = {"KeyId": target} if target else {}
    return values, owner, region, alias


def _key_item(t: Target, action: str, key_id: Any, ctx: Mapping[str, ContextValue]) -> AuthorizationItem:
    values, owner, region, alias = _key(t, key_id)
    if alias is not None:
        ctx = {**ctx, "kms:RequestAlias": alias}
    return item(PREFIX, action, t, values, ctx, owner=owner, region=region)


def _alias_values(name: Any) -> dict[str, str]:
    if isinstance(name, str) and name.startswith("alias/"):
        return {"Alias": name[len("alias/"):]}
    return {}


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    ctx = _context(t)
    if op == "ReEncrypt":
        source, destination = params.get("SourceKeyId"), params.get("DestinationKeyId")
        if source is not None and source == destination:
            ctx["kms:ReEncryptOnSameKey"] = "true"
        src_ctx = {k: v for k, v in ctx.items() if not k.startswith("kms:EncryptionContext")}
        _encryption_context(src_ctx, params.get("SourceEncryptionContext"))
        dst_ctx = {k: v for k, v in ctx.items() if not k.startswith("kms:EncryptionContext")}
        _encryption_context(dst_ctx, params.get("DestinationEncryptionContext"))
        add(src_ctx, "kms:EncryptionAlgorithm", params.get("SourceEncryptionAlgorithm"))
        add(dst_ctx, "kms:EncryptionAlgorithm", params.get("DestinationEncryptionAlgorithm"))
        source = source if source is not None else key_in_ciphertext(params.get("CiphertextBlob"))
        return [_key_item(t, "ReEncryptFrom", source, src_ctx), _key_item(t, "ReEncryptTo", destination, dst_ctx)]
    if op in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        # The alias and the key it points to are both authorized (KMS Developer Guide, "Controlling
        # access to aliases").
        out = [item(PREFIX, op, t, _alias_values(params.get("AliasName")), ctx)]
        if params.get("TargetKeyId"):
            out.append(_key_item(t, op, params["TargetKeyId"], ctx))
        return out
    key_id = params.get("KeyId")
    if key_id is None and op == "Decrypt":
        key_id = key_in_ciphertext(params.get("CiphertextBlob"))
    if key_id is not None:
        return [_key_item(t, op, key_id, ctx)]
    return [item(PREFIX, op, t, {}, ctx)]


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def key_in_ciphertext(blob: Any) -> str | None:
    """The key id a moto ciphertext (base64, as the request carries it) begins with; None for any
    other (AWS's format is not documented: nothing is guessed from it)."""
    if not isinstance(blob, str) or len(blob) < 64:
        return None
    try:
        head = base64.b64decode(blob[:48], validate=True)  # 48 characters: the first 36 bytes
    except (binascii.Error, ValueError):
        return None
    return head[:36].decode() if _UUID.fullmatch(head[:36]) else None
