"""AWS Systems Manager: parameter, document, instance and other ARNs; SSM's request keys.

Source: Service Authorization Reference, "Actions, resources, and condition keys for AWS Systems
Manager"; the Systems Manager User Guide's "Restricting access to Parameter Store parameters using IAM
policies" (a parameter's ARN is ``parameter/`` + its name without the leading slash; GetParametersByPath
is authorized on the path's ARN, with ssm:Recursive) and "Restrict access to root-level commands through
SSM Agent" (SendCommand is authorized on the document and on each target instance).
"""

from __future__ import annotations

from typing import Any

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item, parse_arn

PREFIX = "ssm"

# AddTagsToResource and friends name their resource by type and id.
_TAGGED_TYPES = {
    "Parameter": "ParameterNameWithoutLeadingSlash",
    "Document": "DocumentName",
    "MaintenanceWindow": "ResourceId",
    "PatchBaseline": "PatchBaselineIdResourceId",
    "OpsItem": "ResourceId",
    "OpsMetadata": "ResourceId",
    "ManagedInstance": "InstanceId",
    "Association": "AssociationId",
    "Automation": "AutomationExecutionId",
}


def _parameter(t: Target, action: str, name: Any, ctx: dict[str, ContextValue]) -> AuthorizationItem:
    arn = parse_arn(name)
    owner = region = None
    if arn is not None and arn.resource.startswith("parameter/"):
        name, owner, region = "/" + arn.resource[len("parameter/"):], arn.account, arn.region
    if not isinstance(name, str) or not name:
        return item(PREFIX, action, t, {}, ctx)
    name = name.split(":", 1)[0] if not name.startswith("arn:") else name  # "name:3" / "name:label"
    return item(PREFIX, action, t, {"ParameterNameWithoutLeadingSlash": name.strip("/")}, ctx,
                owner=owner, region=region)


def _document(name: Any) -> dict[str, str]:
    arn = parse_arn(name)
    if arn is not None and arn.resource.startswith("document/"):
        return {"DocumentName": arn.resource[len("document/"):]}
    return {"DocumentName": name} if isinstance(name, str) and name else {}


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    ctx: dict[str, ContextValue] = {}
    add(ctx, "ssm:Overwrite", params.get("Overwrite"))
    add(ctx, "ssm:Recursive", params.get("Recursive"))
    add(ctx, "ssm:Policies", params.get("Policies"))
    add(ctx, "ssm:DocumentType", params.get("DocumentType"))
    add(ctx, "ssm:DocumentVersion", params.get("DocumentVersion"))
    if "Names" in params and isinstance(params["Names"], list) and "Parameter" in op:
        return [_parameter(t, op, name, ctx) for name in params["Names"]] or [item(PREFIX, op, t, {}, ctx)]
    if "Parameter" in op and ("Name" in params or "Path" in params):
        return [_parameter(t, op, params.get("Name") or params.get("Path"), ctx)]
    if op == "SendCommand":
        out = [item(PREFIX, op, t, _document(params.get("DocumentName")), ctx)]
        for instance in params.get("InstanceIds") or []:
            out.append(item(PREFIX, op, t, {"InstanceId": str(instance)}, ctx))
        return out
    if op == "StartSession":
        out = [item(PREFIX, op, t, {"InstanceId": str(params.get("Target", ""))}, ctx)]
        if params.get("DocumentName"):
            out.append(item(PREFIX, op, t, _document(params["DocumentName"]), ctx))
        return out
    resource_type, resource_id = params.get("ResourceType"), params.get("ResourceId")
    if isinstance(resource_type, str) and isinstance(resource_id, str) and resource_type in _TAGGED_TYPES:
        value = resource_id.lstrip("/") if resource_type == "Parameter" else resource_id
        return [item(PREFIX, op, t, {_TAGGED_TYPES[resource_type]: value}, ctx)]
    if "Document" in op and "Name" in params:
        return [item(PREFIX, op, t, _document(params["Name"]), ctx)]
    for member, placeholder in (("WindowId", "ResourceId"), ("BaselineId", "PatchBaselineIdResourceId"),
                                ("OpsItemId", "ResourceId"), ("AssociationId", "AssociationId"),
                                ("AutomationExecutionId", "AutomationExecutionId"), ("SessionId", "SessionId"),
                                ("SyncName", "SyncName")):
        if isinstance(params.get(member), str):
            return [item(PREFIX, op, t, {placeholder: params[member]}, ctx)]
    return [item(PREFIX, op, t, {}, ctx)]
