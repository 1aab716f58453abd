"""Amazon SQS: queue ARNs from queue URLs and names.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon SQS"; the
SQS Developer Guide's "Amazon SQS API permissions: Actions and resource reference" (the batch actions
are authorized as their single actions: SendMessageBatch is sqs:SendMessage, and so on).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from iamd.gateway.authz import AuthorizationItem, Target, item
from iamd.gateway.classify import Unclassified

PREFIX = "sqs"

ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


_ACCOUNT = re.compile(r"\d{12}\Z")
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}(?:\.fifo)?\Z")


def queue_from_url(url: str) -> tuple[str, str]:
    """(account, queue name) of a queue URL (https://sqs.us-east-1.amazonaws.com/123456789012/name).

    Anything else is refused: a URL the gateway reads as one queue and the upstream as another
    (``/123456789012/q1/../q2``) would authorize the wrong queue."""
    parts = urlsplit(url).path.split("/")
    if len(parts) == 3 and not parts[0] and _ACCOUNT.match(parts[1]) and _QUEUE_NAME.match(parts[2]):
        return parts[1], parts[2]
    raise Unclassified(f"QueueUrl {url!r} is not <endpoint>/<account id>/<queue name>")


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    action = ACTIONS.get(op, op)
    url = params.get("QueueUrl")
    if isinstance(url, str):
        account, queue = queue_from_url(url)
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
