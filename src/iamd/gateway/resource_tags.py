"""The tags of the resources a request names, read from the upstream, for the condition keys that
describe them: ``s3:ExistingObjectTag/<key>`` (an S3 object's tags) and ``aws:ResourceTag/<key>``
(and Secrets Manager's ``secretsmanager:ResourceTag/<key>``).

Which items get them, from the Service Authorization Reference (``reference_data``):

- ``s3:ExistingObjectTag/*`` where the action lists the key (GetObject, GetObjectVersion,
  PutObjectTagging, PutObjectAcl ...): the object's tags (GetObjectTagging, with its VersionId).
- ``aws:ResourceTag/*`` where the item's resource type lists it, for SQS queues (ListQueueTags), SNS
  topics (ListTagsForResource), KMS keys (ListResourceTags), Lambda functions (ListTags: a qualified
  ARN is the function's), Secrets Manager secrets (DescribeSecret), DynamoDB tables and their indexes
  and streams (ListTagsOfResource on the table) and SSM parameters (ListTagsForResource).
  S3 buckets are left out: AWS evaluates a general purpose bucket's tags only once ABAC is enabled on
  it (PutBucketAbac, "Enabling ABAC in general purpose buckets", Amazon S3 User Guide), which is off
  by default and which the upstream does not model.

The edge reads tags only when a decision needs them (a statement that applied to the request's
action and resource used such a key: ``Decision.missing_context_values``), so requests whose policies
never mention tags cost nothing more. Each read uses the owner account's upstream credentials.

Cached like resource policies (``resource_policies.py``): bounded LRU, ``ttl`` seconds (default 5),
absent tags cached too, every entry of a resource name dropped when iamd forwards a request that may
change its tags or begin or end its life (``forget``), and a read begun before such a drop is not
stored. Names (object keys, queue, topic, function, secret, table and parameter names) can be reused
after a deletion; KMS key ids cannot.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iamd.gateway import reference_data
from iamd.gateway.authz import AuthorizationItem
from iamd.gateway.named_entries import MISSING, NamedEntries

__all__ = ["TAG_KEY_STEMS", "ResourceTags", "TagSource", "TagsUnavailable", "needs_tags", "source_of"]

DEFAULT_REGION = "us-east-1"
# The condition keys whose values are a resource's tags (lower-case stems).
TAG_KEY_STEMS = ("aws:resourcetag/", "s3:existingobjecttag/", "secretsmanager:resourcetag/")
# Error codes meaning "no such resource": no tags, not a failure.
_ABSENT = frozenset({
    "NoSuchKey", "NoSuchBucket", "NoSuchVersion", "404", "NotFound", "MethodNotAllowed",  # S3
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",  # SQS
    "NotFoundException",  # SNS, KMS
    "ResourceNotFoundException",  # Lambda, Secrets Manager, DynamoDB
    "InvalidResourceId", "ParameterNotFound",  # SSM
})
# A secret's ARN ends with "-" and six random characters.
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


class TagsUnavailable(Exception):
    """The upstream could not say what the resource's tags are; str() says why (no secret in it)."""


def needs_tags(missing: Iterable[str]) -> bool:
    """Whether a decision's missing context keys include a resource's tags."""
    return any(key.lower().startswith(TAG_KEY_STEMS) for key in missing)


@dataclass(frozen=True)
class TagSource:
    """Where one item's resource tags come from, and which context keys they fill."""

    service: str  # the botocore client
    key: tuple[str, ...]  # the cache key
    names: tuple[tuple[str, str], ...]  # (kind, name) forget() drops it by
    account: str
    region: str
    read: Callable[[Any], dict[str, str]]  # client → tags
    prefixes: tuple[str, ...]  # "s3:ExistingObjectTag/", "aws:ResourceTag/" ...

    def context(self, tags: Mapping[str, str]) -> dict[str, str]:
        return {prefix + key: value for prefix in self.prefixes for key, value in tags.items()}


def _arn(resource: str) -> tuple[str, str, str, str] | None:
    """(service, region, account, resource part) of an ARN."""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[2], parts[3], parts[4], parts[5]


def _lists(item_action: str, stem: str, resource_type: bool) -> bool:
    service, _, action = item_action.partition(":")
    ref = reference_data.service(service)
    act = ref.action(action) if ref else None
    if act is None:
        return False
    return stem in (act.resource_condition_keys if resource_type else act.condition_keys)


def _pairs(entries: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(entry[key]): str(entry.get(value, "")) for entry in entries or []}


def source_of(item: AuthorizationItem, owner: str | None, caller_account: str) -> TagSource | None:
    """The tags an item's decision may need, None when AWS sets no tag key for it (or iamd cannot
    read them: an ARN it does not know, "*"). ``owner``: the resource's owner account when known
    (an S3 bucket's, from its policy lookup), else the ARN's, else the caller's.

    A pure function of the item's action, resource and S3 version id and of the two accounts (a
    TagSource holds names, never tags): remembered for short resources, as every request asks again."""
    version = item.context.get("s3:VersionId")
    if len(item.resource) > _REMEMBERED_LENGTH or not isinstance(version, str | None):
        return _source(item.action, item.resource, version, owner, caller_account)
    return _remembered_source(item.action, item.resource, version, owner, caller_account)


_REMEMBERED_LENGTH = 1024  # the longest resource ARN whose source is remembered (a client chooses them)


def _source(action: str, arn: str, version: Any, owner: str | None, caller_account: str) -> TagSource | None:
    parsed = _arn(arn)
    if parsed is None:
        return None
    service, region, arn_account, resource = parsed
    region = region or DEFAULT_REGION
    account = arn_account or (owner if owner and owner.isdigit() else "") or caller_account
    if not account:
        return None
    if service == "s3":
        bucket, slash, key = resource.partition("/")
        if not slash or not key or arn_account or not _lists(action, "s3:existingobjecttag/", False):
            return None
        extra = {"VersionId": version} if isinstance(version, str) and version else {}
        return TagSource("s3", ("s3-object", account, bucket, key, str(version or "")),
                         (("s3-object", f"{bucket}/{key}"), ("s3-bucket", bucket)), account, region,
                         lambda client: _pairs(client.get_object_tagging(Bucket=bucket, Key=key, **extra)
                                               .get("TagSet")), ("s3:ExistingObjectTag/",))
    if not _lists(action, "aws:resourcetag/", True):
        return None
    prefixes: tuple[str, ...] = ("aws:ResourceTag/",)
    if service == "sqs":
        def queue_tags(client: Any) -> dict[str, str]:
            url = client.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"]
            return dict(client.list_queue_tags(QueueUrl=url).get("Tags") or {})

        return TagSource("sqs", ("sqs", account, region, resource), (("sqs", resource),), account, region,
                         queue_tags, prefixes)
    if service == "sns":
        return TagSource("sns", ("sns", account, region, resource), (("sns", resource),), account, region,
                         lambda client: _pairs(client.list_tags_for_resource(ResourceArn=arn).get("Tags")), prefixes)
    if service == "kms" and resource.startswith("key/"):
        key_id = resource[len("key/"):]
        return TagSource("kms", ("kms", key_id), (("kms", key_id),), account, region,
                         lambda client: _pairs(client.list_resource_tags(KeyId=key_id).get("Tags"),
                                               "TagKey", "TagValue"), prefixes)
    if service == "lambda" and resource.startswith("function:"):
        name = resource[len("function:"):].split(":", 1)[0]
        function_arn = f"arn:{arn.split(':', 2)[1]}:lambda:{region}:{account}:function:{name}"
        return TagSource("lambda", ("lambda", account, region, name), (("lambda", name),), account, region,
                         lambda client: dict(client.list_tags(Resource=function_arn).get("Tags") or {}), prefixes)
    if service == "secretsmanager" and resource.startswith("secret:"):
        given, secret_arn = resource[len("secret:"):], arn
        # Named by its name ("db-secret") or its full ARN, whose last seven characters ("-AbC123") are
        # random, which the text cannot tell apart: read by name first, then by the ARN (as
        # resource_policies.py does).
        stripped = _SECRET_SUFFIX.sub("", given)

        def secret_tags(client: Any) -> dict[str, str]:
            try:
                return _pairs(client.describe_secret(SecretId=given).get("Tags"))
            except ClientError as error:
                if stripped == given or error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
            return _pairs(client.describe_secret(SecretId=secret_arn).get("Tags"))

        return TagSource("secretsmanager", ("secretsmanager", account, region, given),
                         tuple(("secretsmanager", name) for name in dict.fromkeys((given, stripped))), account,
                         region, secret_tags, ("aws:ResourceTag/", "secretsmanager:ResourceTag/"))
    if service == "dynamodb" and resource.startswith("table/"):
        table = resource[len("table/"):].split("/", 1)[0]
        table_arn = f"arn:{arn.split(':', 2)[1]}:dynamodb:{region}:{account}:table/{table}"
        return TagSource("dynamodb", ("dynamodb", account, region, table), (("dynamodb", table),), account, region,
                         lambda client: _pairs(client.list_tags_of_resource(ResourceArn=table_arn).get("Tags")),
                         prefixes)
    if service == "ssm" and resource.startswith("parameter/"):
        # The ARN drops the name's leading slash; a name with a slash in it is a path, which begins
        # with one ("/app/db"); a plain name may be given with or without one.
        bare = resource[len("parameter/"):]

        def parameter_tags(client: Any) -> dict[str, str]:
            first = "/" + bare if "/" in bare else bare
            try:
                return _pairs(client.list_tags_for_resource(ResourceType="Parameter", ResourceId=first).get("TagList"))
            except ClientError as error:
                if "/" in bare or error.response.get("Error", {}).get("Code") not in ("InvalidResourceId",
                                                                                    "ParameterNotFound"):
                    raise
            return _pairs(client.list_tags_for_resource(ResourceType="Parameter", ResourceId="/" + bare)
                          .get("TagList"))

        return TagSource("ssm", ("ssm", account, region, bare), (("ssm", bare),), account, region,
                         parameter_tags, prefixes)
    return None


_remembered_source = lru_cache(maxsize=4096)(_source)


class ResourceTags:
    def __init__(self, upstream: Any, *, ttl: float = 5.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self._upstream, self._ttl, self._clock = upstream, ttl, clock
        self._entries = NamedEntries(max_entries)
        self._forgets = 0
        self._lock = threading.Lock()

    def cached(self, source: TagSource) -> dict[str, str] | None:
        """The tags if cached (no I/O), else None."""
        with self._lock:
            found = self._entries.get(source.key, self._clock())
        return None if found is MISSING else found

    def lookup(self, source: TagSource) -> dict[str, str]:
        """The tags, from the cache or the upstream ({} for a resource that does not exist).
        Raises TagsUnavailable when the upstream cannot say."""
        found = self.cached(source)
        if found is not None:
            return found
        with self._lock:
            forgets = self._forgets
        client = self._upstream.client(source.service, source.account, source.region)
        try:
            tags = source.read(client)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code not in _ABSENT:
                raise TagsUnavailable(f"the upstream answered {code or 'an error'} ({error.operation_name})") from None
            tags = {}
        except (BotoCoreError, KeyError) as error:
            raise TagsUnavailable(f"the upstream could not be read: {type(error).__name__}") from None
        with self._lock:
            if self._forgets == forgets:  # no change forwarded meanwhile: the answer may be kept
                self._entries.put(source.key, self._clock() + self._ttl, tags, source.names)
        return tags

    def forget(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """After forwarding a request: drop the entries it may have changed. True when it may have
        changed some (whether or not this process had them cached: other processes may)."""
        names = changed(service, operation, params)
        if not names:
            return False
        with self._lock:
            self._forgets += 1
            for name in names:
                self._entries.drop(name)
        return True

    def clear(self) -> None:
        with self._lock:
            self._forgets += 1
            self._entries.clear()


# (service, operation) → (cache kind, the member naming the resource whose tags it may change).
_CHANGES: dict[tuple[str, str], tuple[str, str]] = {
    ("s3", "PutObjectTagging"): ("s3-object", "Key"),
    ("s3", "DeleteObjectTagging"): ("s3-object", "Key"),
    ("s3", "PutObject"): ("s3-object", "Key"),
    ("s3", "DeleteObject"): ("s3-object", "Key"),
    ("s3", "CopyObject"): ("s3-object", "Key"),
    ("s3", "CompleteMultipartUpload"): ("s3-object", "Key"),
    ("s3", "DeleteObjects"): ("s3-bucket", "Bucket"),
    ("s3", "DeleteBucket"): ("s3-bucket", "Bucket"),
    ("sqs", "TagQueue"): ("sqs", "QueueUrl"),
    ("sqs", "UntagQueue"): ("sqs", "QueueUrl"),
    ("sqs", "DeleteQueue"): ("sqs", "QueueUrl"),
    ("sqs", "CreateQueue"): ("sqs", "QueueName"),
    ("sns", "TagResource"): ("sns", "ResourceArn"),
    ("sns", "UntagResource"): ("sns", "ResourceArn"),
    ("sns", "DeleteTopic"): ("sns", "TopicArn"),
    ("sns", "CreateTopic"): ("sns", "Name"),
    ("kms", "TagResource"): ("kms", "KeyId"),
    ("kms", "UntagResource"): ("kms", "KeyId"),
    ("lambda", "TagResource"): ("lambda", "Resource"),
    ("lambda", "UntagResource"): ("lambda", "Resource"),
    ("lambda", "DeleteFunction"): ("lambda", "FunctionName"),
    ("lambda", "CreateFunction"): ("lambda", "FunctionName"),
    ("secretsmanager", "TagResource"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "UntagResource"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "DeleteSecret"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "RestoreSecret"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "CreateSecret"): ("secretsmanager", "Name"),
    ("dynamodb", "TagResource"): ("dynamodb", "ResourceArn"),
    ("dynamodb", "UntagResource"): ("dynamodb", "ResourceArn"),
    ("dynamodb", "DeleteTable"): ("dynamodb", "TableName"),
    ("dynamodb", "CreateTable"): ("dynamodb", "TableName"),
    ("ssm", "AddTagsToResource"): ("ssm", "ResourceId"),
    ("ssm", "RemoveTagsFromResource"): ("ssm", "ResourceId"),
    ("ssm", "DeleteParameter"): ("ssm", "Name"),
    ("ssm", "PutParameter"): ("ssm", "Name"),
}


def changed(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) pairs whose tags a forwarded request may have changed."""
    if (service, operation) == ("ssm", "DeleteParameters"):
        return [("ssm", name.lstrip("/")) for name in params.get("Names") or [] if isinstance(name, str)]
    entry = _CHANGES.get((service, operation))
    if entry is None:
        return []
    kind, member = entry
    value = params.get(member)
    if not isinstance(value, str) or not value:
        return []
    if kind == "s3-object":
        return [(kind, f"{params.get('Bucket', '')}/{value}")]
    if kind == "secretsmanager":  # a name, or an ARN: entries are named by both forms
        given = value.split(":secret:", 1)[1] if value.startswith("arn:") and ":secret:" in value else value
        return [(kind, name) for name in dict.fromkeys((given, _SECRET_SUFFIX.sub("", given)))]
    return [(kind, _name(kind, value))]


def _name(kind: str, value: str) -> str:
    """The cache name a request member's value stands for (a URL, an ARN, a name)."""
    if kind == "sqs":  # a queue URL or a name
        return value.rstrip("/").rsplit("/", 1)[-1]
    if kind == "sns":  # a topic ARN or a name
        return value.rsplit(":", 1)[-1]
    if kind == "lambda":  # a name, partial ARN or ARN, maybe qualified
        if ":function:" in value:
            value = value.split(":function:", 1)[1]
        return value.split(":", 1)[0]
    if kind == "kms":  # a key id or key ARN (tagging an alias is not possible)
        return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
    if kind == "dynamodb" and value.startswith("arn:"):
        return value.split(":table/", 1)[-1].split("/", 1)[0]
    if kind == "ssm":  # entries are named without the leading slash, as the ARN writes it
        return value.lstrip("/")
    return value
