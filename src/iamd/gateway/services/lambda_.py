"""AWS Lambda: function, version/alias, layer and event source mapping ARNs; Lambda's request keys.

Source: Service Authorization Reference, "Actions, resources, and condition keys for AWS Lambda"; the
Lambda Developer Guide's "Fine-tuning the Resources and Conditions sections of policies" (a qualified
function ARN for a Qualifier, lambda:FunctionArn for event source mappings, lambda:Principal for
AddPermission, lambda:Layer and the VPC keys for CreateFunction and UpdateFunctionConfiguration).
Invoke and InvokeWithResponseStream are lambda:InvokeFunction; GetLayerVersionByArn is
lambda:GetLayerVersion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item, parse_arn

PREFIX = "lambda"

ACTIONS = {
    "Invoke": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
    "GetLayerVersionByArn": "GetLayerVersion",
}


def _function(t: Target, name: Any, qualifier: Any) -> tuple[dict[str, str], str | None, str | None]:
    """A FunctionName member (name, partial ARN "123456789012:function:name" or ARN, each maybe with
    ":qualifier") as (placeholder values, owner, region)."""
    if not isinstance(name, str) or not name:
        return {}, None, None
    owner = region = None
    arn = parse_arn(name)
    if arn is not None:
        owner, region, rest = arn.account, arn.region, arn.resource
    elif ":function:" in name:
        owner, rest = name.split(":", 1)
    else:
        rest = "function:" + name
    parts = rest.split(":")
    if len(parts) < 2 or parts[0] != "function":
        return {}, None, None
    values = {"FunctionName": parts[1]}
    qualifier = qualifier if isinstance(qualifier, str) and qualifier else (parts[2] if len(parts) > 2 else None)
    if qualifier:
        # A version and an alias fill the same ARN: function:<name>:<qualifier>.
        values["Version"] = values["Alias"] = qualifier
    return values, owner, region


def _context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {}
    add(ctx, "lambda:Principal", params.get("Principal"))
    add(ctx, "lambda:FunctionUrlAuthType", params.get("FunctionUrlAuthType") or params.get("AuthType"))
    add(ctx, "lambda:CodeSigningConfigArn", params.get("CodeSigningConfigArn"))
    add(ctx, "lambda:EventSourceToken", params.get("EventSourceToken"))
    layers = params.get("Layers")
    if isinstance(layers, list) and layers:
        ctx["lambda:Layer"] = [str(layer) for layer in layers]
    vpc = params.get("VpcConfig")
    if isinstance(vpc, Mapping):
        if vpc.get("SubnetIds"):
            ctx["lambda:SubnetIds"] = [str(s) for s in vpc["SubnetIds"]]
        if vpc.get("SecurityGroupIds"):
            ctx["lambda:SecurityGroupIds"] = [str(s) for s in vpc["SecurityGroupIds"]]
    return ctx


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    action = ACTIONS.get(op, op)
    ctx = _context(params)
    function = params.get("FunctionName")
    if op in ("CreateEventSourceMapping", "UpdateEventSourceMapping") and function:
        values, owner, region = _function(t, function, None)
        if values:
            ctx["lambda:FunctionArn"] = (f"arn:{t.partition}:lambda:{region or t.region}:{owner or t.account}"
                                         f":function:{values['FunctionName']}")
    if op == "GetLayerVersionByArn":
        arn = parse_arn(params.get("Arn"))
        if arn is not None and arn.resource.startswith("layer:"):
            parts = arn.resource.split(":")
            if len(parts) == 3:
                return [item(PREFIX, action, t, {"LayerName": parts[1], "LayerVersion": parts[2]}, ctx,
                             owner=arn.account, region=arn.region)]
        return [item(PREFIX, action, t, {}, ctx)]
    if function and op not in ("CreateEventSourceMapping", "UpdateEventSourceMapping", "ListEventSourceMappings"):
        values, owner, region = _function(t, function, params.get("Qualifier"))
        found = item(PREFIX, action, t, values, ctx, owner=owner, region=region)
        qualifier = values.get("Version")
        if qualifier and found.resource.endswith(":function:" + values["FunctionName"]):
            # A qualified call is evaluated on the qualified ARN, whatever resource type the reference
            # lists for the action (Lambda Developer Guide, "Function resources": a policy on the
            # unqualified ARN does not cover versions and aliases).
            found = AuthorizationItem(found.action, f"{found.resource}:{qualifier}", found.context,
                                      found.resource_owner)
        return [found]
    layer = params.get("LayerName")
    if isinstance(layer, str):
        arn = parse_arn(layer)
        name = arn.resource.split(":")[1] if arn is not None and arn.resource.startswith("layer:") else layer
        values = {"LayerName": name}
        if params.get("VersionNumber") is not None:
            values["LayerVersion"] = str(params["VersionNumber"])
        return [item(PREFIX, action, t, values, ctx, owner=arn.account if arn else None,
                     region=arn.region if arn else None)]
    uuid = params.get("UUID")
    if isinstance(uuid, str):
        return [item(PREFIX, action, t, {"UUID": uuid}, ctx)]
    resource = parse_arn(params.get("Resource") or params.get("ResourceArn"))
    if resource is not None and resource.service == "lambda":  # TagResource and friends
        values, owner, region = _function(t, params.get("Resource") or params.get("ResourceArn"), None)
        if values:
            return [item(PREFIX, action, t, values, ctx, owner=owner, region=region)]
    config = parse_arn(params.get("CodeSigningConfigArn"))
    if config is not None and config.resource.startswith("code-signing-config:"):
        return [item(PREFIX, action, t, {"CodeSigningConfigId": config.resource.split(":", 1)[1]}, ctx,
                     owner=config.account, region=config.region)]
    return [item(PREFIX, action, t, {}, ctx)]
