"""The request context AWS evaluates conditions against: the global keys and those of the request.

Keys as AWS names them in the Service Authorization Reference. aws:MultiFactorAuthPresent is absent
for long-term access keys, as AWS documents ("BoolIfExists" policies rely on that).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

from iamd.security.principal_kind import PrincipalKind
from iamd.service.context import Call

# aws:PrincipalType by the kind of caller: AWS global condition context keys, aws:PrincipalType, and its
# table "Principal key values" (root user: Account, IAM user: User, role session: AssumedRole, federated
# user session from GetFederationToken: FederatedUser).
_PRINCIPAL_TYPES = {PrincipalKind.ROOT: "Account", PrincipalKind.USER: "User",
                    PrincipalKind.ASSUMED_ROLE: "AssumedRole", PrincipalKind.FEDERATED_USER: "FederatedUser"}


@lru_cache(maxsize=64)
def time_keys(now: datetime, zone: tzinfo | None) -> tuple[str, str]:
    """aws:CurrentTime and aws:EpochTime of a moment (a call's ``now``, to the second): strftime costs
    several µs, and every decision of the same second asks again. ``zone`` (its tzinfo) is in the key: equal
    moments in two zones are written differently."""
    return now.strftime("%Y-%m-%dT%H:%M:%SZ"), str(int(now.timestamp()))


def request_context(call: Call, params: dict, principal_tags: tuple[tuple[str, str], ...],
                    resource_tags: dict[str, str] | None = None) -> dict:
    """``resource_tags``: the target's aws:ResourceTag/* and iam:ResourceTag/* keys (service/resource_tags.py)."""
    principal = call.principal
    current_time, epoch_time = time_keys(call.now, call.now.tzinfo)
    context: dict = {
        "aws:PrincipalArn": principal.arn,
        "aws:PrincipalAccount": principal.account_id,
        "aws:PrincipalType": _PRINCIPAL_TYPES.get(principal.kind, "User"),
        "aws:userid": principal.id,
        "aws:CurrentTime": current_time,
        "aws:EpochTime": epoch_time,
        "aws:SecureTransport": "true" if call.secure_transport else "false",
        "aws:RequestedRegion": call.region,
        "aws:ViaAWSService": "false",
    }
    if principal.kind is PrincipalKind.USER:
        context["aws:username"] = principal.name
    if call.source_ip:
        context["aws:SourceIp"] = call.source_ip
    if call.user_agent:
        context["aws:UserAgent"] = call.user_agent
    for key, value in principal_tags:
        context[f"aws:PrincipalTag/{key}"] = value
    for key, value in call.session_context.items():
        context[key] = value
    request_tags = params.get("Tags")
    if isinstance(request_tags, list) and request_tags and isinstance(request_tags[0], dict):
        for tag in request_tags:
            context[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
        context["aws:TagKeys"] = [tag["Key"] for tag in request_tags]
    elif isinstance(params.get("TagKeys"), list):
        context["aws:TagKeys"] = list(params["TagKeys"])
    context.update(resource_tags or {})
    if "PolicyArn" in params:
        context["iam:PolicyARN"] = params["PolicyArn"]
    if "PermissionsBoundary" in params:
        context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    if "AWSServiceName" in params:  # CreateServiceLinkedRole
        context["iam:AWSServiceName"] = params["AWSServiceName"]
    if "SigningAlgorithm" in params:  # GetWebIdentityToken
        context["sts:SigningAlgorithm"] = params["SigningAlgorithm"]
        context["sts:IdentityTokenAudience"] = list(params.get("Audience", []))
        context["sts:DurationSeconds"] = str(params.get("DurationSeconds", 300))
    if "ServiceName" in params:  # service-specific credentials
        context["iam:ServiceSpecificCredentialServiceName"] = params["ServiceName"]
    return context
