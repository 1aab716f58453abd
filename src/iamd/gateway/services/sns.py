"""Amazon SNS: topic ARNs from TopicArn, TargetArn, SubscriptionArn and Name; sns:Protocol, sns:Endpoint.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon SNS";
PublishBatch is authorized as sns:Publish (SNS API Reference, PublishBatch: "requires sns:Publish").
"""

from __future__ import annotations

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item, parse_arn

PREFIX = "sns"

ACTIONS = {"PublishBatch": "Publish"}


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    action = ACTIONS.get(op, op)
    ctx: dict[str, ContextValue] = {}
    add(ctx, "sns:Protocol", params.get("Protocol"))
    add(ctx, "sns:Endpoint", params.get("Endpoint"))
    for member in ("TopicArn", "TargetArn", "ResourceArn", "SubscriptionArn"):
        arn = parse_arn(params.get(member))
        if arn is not None and arn.service == "sns":
            topic = arn.resource.split(":", 1)[0]  # a subscription ARN is its topic's ARN + ":<id>"
            if member == "TargetArn" and "/" in topic:
                break  # a platform endpoint (app/...): not a topic
            return [item(PREFIX, action, t, {"TopicName": topic}, ctx, owner=arn.account, region=arn.region)]
    name = params.get("Name")
    if op == "CreateTopic" and isinstance(name, str):
        return [item(PREFIX, action, t, {"TopicName": name}, ctx)]
    return [item(PREFIX, action, t, {}, ctx)]
