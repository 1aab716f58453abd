"""AWS Secrets Manager: secret ARNs from SecretId and Name; Secrets Manager's request keys.

Source: Service Authorization Reference, "Actions, resources, and condition keys for AWS Secrets
Manager"; BatchGetSecretValue needs secretsmanager:BatchGetSecretValue and secretsmanager:GetSecretValue
on each secret (Secrets Manager API Reference, BatchGetSecretValue, "Required permissions").

A secret's ARN ends with six random characters (``name-AbCdEf``) the request does not carry when it
names the secret: the resource is then ``arn:...:secret:name`` (a policy written as ``secret:name-??????``
does not match it, so such a request is refused rather than allowed; ``secret:name*`` matches).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item, parse_arn

PREFIX = "secretsmanager"

MEMBER_KEYS = {
    "SecretId": "secretsmanager:SecretId",
    "Name": "secretsmanager:Name",
    "Description": "secretsmanager:Description",
    "KmsKeyId": "secretsmanager:KmsKeyId",
    "VersionId": "secretsmanager:VersionId",
    "VersionStage": "secretsmanager:VersionStage",
    "ForceDeleteWithoutRecovery": "secretsmanager:ForceDeleteWithoutRecovery",
    "RecoveryWindowInDays": "secretsmanager:RecoveryWindowInDays",
    "RotationLambdaARN": "secretsmanager:RotationLambdaARN",
    "RotateImmediately": "secretsmanager:RotateImmediately",
    "BlockPublicPolicy": "secretsmanager:BlockPublicPolicy",
    "ForceOverwriteReplicaSecret": "secretsmanager:ForceOverwriteReplicaSecret",
    "Type": "secretsmanager:Type",
}


def _context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {}
    for member, value in params.items():
        key = MEMBER_KEYS.get(member)
        if key is not None:
            add(ctx, key, value)
    regions = params.get("AddReplicaRegions")
    if isinstance(regions, list) and regions:
        ctx["secretsmanager:AddReplicaRegions"] = [str(r.get("Region")) for r in regions if isinstance(r, Mapping)]
    rules = params.get("RotationRules")
    if isinstance(rules, Mapping) and rules:
        ctx["secretsmanager:ModifyRotationRules"] = "true"
    return ctx


def _secret(t: Target, action: str, secret: Any, ctx: Mapping[str, ContextValue]) -> AuthorizationItem:
    arn = parse_arn(secret)
    if arn is not None and arn.resource.startswith("secret:"):
        return item(PREFIX, action, t, {"SecretId": arn.resource[len("secret:"):]}, ctx,
                    owner=arn.account, region=arn.region)
    if isinstance(secret, str) and secret:
        return item(PREFIX, action, t, {"SecretId": secret}, ctx)
    return item(PREFIX, action, t, {}, ctx)


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    ctx = _context(params)
    if op == "BatchGetSecretValue":
        out = [item(PREFIX, op, t, {}, ctx)]
        for secret in params.get("SecretIdList") or []:
            out.append(_secret(t, "GetSecretValue", secret, {"secretsmanager:SecretId": str(secret)}))
        return out
    secret = params.get("SecretId") or params.get("Name") if op == "CreateSecret" else params.get("SecretId")
    return [_secret(t, op, secret, ctx)]
