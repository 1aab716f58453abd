"""Amazon SQS: queue ARNs from queue URLs and names.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon SQS"; the
SQS Developer Guide's "Amazon SQS API permissions: Actions and resource reference" (the batch actions
are authorized as their single actions: SendMessageBatch is sqs:SendMessage, and so on).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from iamd.gateway.authz import AuthorizationItem, Target, item

PREFIX = "sqs"

ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def queue_from_url(url: str) -> tuple[str, str] | None:
    """(account, queue name) of a queue URL (https://sqs.us-east-1.amazonaws.com/123456789012/name)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    action = ACTIONS.get(op, op)
    url = params.get("QueueUrl")
    if isinstance(url, str):
        found = queue_from_url(url)
        if found is not None:
            account, queue = found
            return [item(PREFIX, action, t, {"QueueName": queue}, owner=account)]
    name = params.get("QueueName")
    if isinstance(name, str):
        owner = params.get("QueueOwnerAWSAccountId") or t.account
        return [item(PREFIX, action, t, {"QueueName": name}, owner=str(owner))]
    source = params.get("SourceArn")  # message move tasks name the dead-letter queue by ARN
    if isinstance(source, str) and source.startswith("arn:"):
        parts = source.split(":")
        if len(parts) == 6:
            return [item(PREFIX, action, t, {"QueueName": parts[5]}, owner=parts[4], region=parts[3])]
    return [item(PREFIX, action, t)]
