"""Resource-based policies read from the upstream, cached briefly, dropped when iamd forwards a change.

``ResourcePolicies(upstream).policy_for(service, resource_arn, caller_account)`` gives the policy of an
S3 bucket (an object's ARN gives its bucket's), an SQS queue, an SNS topic, a KMS key (by id, key ARN
or alias), a Lambda function (with its qualifier, if any) or a Secrets Manager secret, with the account
that owns the resource; None when the resource has no policy or does not exist. ``lookup()`` answers
the same with ``document`` None instead of None, so the owner is known even without a policy (across
accounts that decides: a resource without a policy cannot be reached). Each is read with the owner
account's upstream credentials (``Upstream.client``).

The owner: the account in the ARN; an S3 bucket's ARN names none, so the owner is the account whose
ListBuckets lists the bucket: the caller's account is asked first (most requests stay in their
account), then every account ``accounts()`` names (iamd's accounts, given by the edge), each listing
cached for the TTL. A bucket that exists but that no known account lists has the owner "unknown"
(another account, for service/decide.py); one that does not exist has the owner None (a bucket being
created is the caller's).

Caching, and why a deleted and re-created resource is never judged by its predecessor's policy:

* Entries live ``ttl`` seconds (default 5) in a bounded LRU; absent policies are cached too.
* Keys hold what identifies the resource: for KMS the key id, which is never reused (an alias is
  resolved to its key id first, and that resolution is itself cached and dropped on alias changes).
  S3 bucket names, queue, topic, function and secret names can be reused after a deletion, and the
  upstream exposes no identity that could be read without the very call the cache saves.
* So every forwarded request that may change a policy or end or begin a resource's life drops the
  entries of that resource name, in every account and region (``forget``): PutBucketPolicy,
  DeleteBucketPolicy, DeleteBucket, CreateBucket; SetQueueAttributes, Add/RemovePermission,
  DeleteQueue, CreateQueue; SetTopicAttributes, Add/RemovePermission, DeleteTopic, CreateTopic;
  PutKeyPolicy, CreateKey, ScheduleKeyDeletion, CancelKeyDeletion, Create/Update/DeleteAlias;
  Lambda Add/RemovePermission, DeleteFunction, CreateFunction; Put/DeleteResourcePolicy,
  DeleteSecret, CreateSecret, RestoreSecret. A delete and re-create made through iamd is thus seen
  at once; one made behind iamd's back, straight at the upstream, or through another iamd process
  (the cache is per process), within ``ttl`` seconds at most.
* A read that began before a ``forget`` does not store its (possibly older) answer, nor serves a
  request that came after it: requests share a read in flight only when no ``forget`` came between.

A failure to read (the upstream unreachable, or refusing iamd's credentials) raises
``ResourcePolicyUnavailable``: the edge must refuse the request then (fail closed), never decide as if
there were no policy.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError

from iamd.gateway.flights import Flights
from iamd.gateway.named_entries import MISSING, NamedEntries

__all__ = ["RESOURCE_POLICY_SERVICES", "UNKNOWN_OWNER", "ResourcePolicy", "ResourcePolicies",
           "ResourcePolicyUnavailable"]

RESOURCE_POLICY_SERVICES = frozenset({"s3", "sqs", "sns", "kms", "lambda", "secretsmanager"})
UNKNOWN_OWNER = "unknown"  # an existing bucket that none of iamd's accounts owns
DEFAULT_REGION = "us-east-1"
# Error codes meaning "no such resource" or "no policy": an absent policy, not a failure.
_ABSENT = frozenset({
    "NoSuchBucket", "NoSuchBucketPolicy", "404", "NotFound",  # S3 (HeadBucket answers a bare 404)
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",  # SQS
    "NotFoundException",  # SNS, KMS
    "ResourceNotFoundException",  # Lambda, Secrets Manager
})
# A secret's ARN ends with "-" and six random characters (or the policy wildcard "-??????").
_SECRET_SUFFIX = re.compile(r"-(?:[A-Za-z0-9]{6}|\?{6})$")


class ResourcePolicyUnavailable(Exception):
    """The upstream could not say what the resource's policy is; str() says why (no secret in it)."""


@dataclass(frozen=True)
class ResourcePolicy:
    document: str | None  # the policy text; None (from lookup() only) when the resource has none
    owner_account: str | None  # an account id, UNKNOWN_OWNER, or None when the resource does not exist


class Upstream(Protocol):
    """What is used of gateway/upstream.py's Upstream (gw-edge's): a botocore client per account."""

    def client(self, service: str, account_id: str, region: str) -> Any: ...


class ServiceRequestLike(Protocol):
    """What forget() reads of gateway/classify.py's ServiceRequest."""

    @property
    def identified(self) -> Any: ...  # .service, .operation

    @property
    def params(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class _Target:
    """One resource to read: its cache key, the name forget() drops it by, where and how to read it."""

    service: str
    names: tuple[str, ...]  # bucket, queue, topic, key id, function or secret name (a secret: maybe two)
    key: tuple[str, ...]
    account: str | None
    region: str
    read: Callable[[Any], str | None]  # client → the policy text, None when absent


def _client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class ResourcePolicies:
    def __init__(self, upstream: Upstream, *, ttl: float = 5.0, max_entries: int = 10_000,
                 accounts: Callable[[], Iterable[str]] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        """``accounts``: the account ids that may own an S3 bucket (iamd's accounts), asked in turn when
        the caller's own account does not own it; None: only the caller's account is asked."""
        self._upstream = upstream
        self._ttl = ttl
        self._accounts = accounts
        self._clock = clock
        # key → (expiry, value, the (service, name) pairs it is dropped by)
        self._entries = NamedEntries(max_entries)
        self._lock = threading.Lock()
        self._forgets = 0  # bumped by every forget(): a read that saw another value does not store
        self._flights = Flights(ResourcePolicyUnavailable)  # one read per key at a time

    # ------------------------------------------------------------------------------ reading

    def policy_for(self, service: str, resource_arn: str, caller_account: str | None = None) -> ResourcePolicy | None:
        """The resource's policy and owner, None when it has none (or does not exist)."""
        found = self.lookup(service, resource_arn, caller_account)
        return found if found.document is not None else None

    def lookup(self, service: str, resource_arn: str, caller_account: str | None = None) -> ResourcePolicy:
        """The resource's policy (``document`` None when it has none) and its owner account.

        ``caller_account``: the requesting account, for S3 buckets (whose ARN names no owner: the
        caller's account is asked first) and the credentials used when no other account is known."""
        if service not in RESOURCE_POLICY_SERVICES or resource_arn in ("", "*"):
            return ResourcePolicy(None, None)
        if service == "s3":
            return self._bucket(resource_arn, caller_account)
        target = self._target(service, resource_arn, caller_account)
        if not isinstance(target, _Target):
            return ResourcePolicy(None, None)
        document = self._cached(target.key, target.service, target.names, lambda: self._read(target))
        return ResourcePolicy(document, target.account)

    def cached(self, service: str, resource_arn: str, caller_account: str | None = None) -> ResourcePolicy | None:
        """lookup()'s answer when it needs no upstream call (warm entries), else None: lets an async
        caller skip the hop to a worker thread on the hot path."""
        if service not in RESOURCE_POLICY_SERVICES or resource_arn in ("", "*"):
            return ResourcePolicy(None, None)
        if service == "s3":
            bucket = _bucket_name(resource_arn)
            if not bucket:
                return ResourcePolicy(None, None)
            owner = self._peek_owner(bucket, caller_account)
            if owner is _MISSING:
                return None
            if owner is None:
                return ResourcePolicy(None, None)
            document = self._peek(("s3", bucket))
            return None if document is _MISSING else ResourcePolicy(document, owner)
        target = self._target(service, resource_arn, caller_account, peek=True)
        if target is _MISSING:
            return None
        if target is None:
            return ResourcePolicy(None, None)
        document = self._peek(target.key)
        return None if document is _MISSING else ResourcePolicy(document, target.account)

    def kms_alias(self, account_id: str, region: str, alias: str) -> str | None:
        """The id of the key an alias ("alias/name") points to in that account and region at the
        upstream, None when there is no such alias: for gateway/mapping.py's ``kms_alias``, so that a
        request naming its key by an alias is weighed against that key's policy, as AWS does. Cached
        with the policies, dropped on a forwarded Create/Update/DeleteAlias; reads the upstream on a miss."""
        return cast("str | None", self._cached(("kms-alias", account_id, region, alias), "kms-alias", alias,
                            lambda: self._resolve_alias(account_id, region, alias)))

    def kms_alias_cached(self, account_id: str, region: str, alias: str) -> tuple[bool, str | None]:
        """(True, kms_alias()'s answer) when it is cached, else (False, None): no upstream call."""
        found = self._peek(("kms-alias", account_id, region, alias))
        return (False, None) if found is _MISSING else (True, found)

    def _bucket(self, resource_arn: str, caller_account: str | None) -> ResourcePolicy:
        bucket = _bucket_name(resource_arn)
        if not bucket:
            return ResourcePolicy(None, None)
        owner = self._peek_owner(bucket, caller_account)
        if owner is _MISSING:
            # Who owns a bucket is the same for every caller, unless no known account does: "unknown"
            # to one caller may be the bucket of another whose account was not among those asked.
            owner = self._cached(("s3-owner", bucket), "s3", bucket, lambda: self._bucket_owner(bucket, caller_account),
                                 key_for=lambda found: ("s3-owner", bucket, caller_account or "")
                                 if found == UNKNOWN_OWNER else ("s3-owner", bucket))
        if owner is None:
            return ResourcePolicy(None, None)
        reader = owner if owner != UNKNOWN_OWNER else (caller_account or "")

        def read() -> str | None:
            client = self._upstream.client("s3", reader, DEFAULT_REGION)
            return cast("str | None", _call(lambda: client.get_bucket_policy(Bucket=bucket)["Policy"]))

        document = self._cached(("s3", bucket), "s3", bucket, read)
        return ResourcePolicy(document, owner)

    def _peek_owner(self, bucket: str, caller_account: str | None) -> Any:
        found = self._peek(("s3-owner", bucket))
        return found if found is not _MISSING else self._peek(("s3-owner", bucket, caller_account or ""))

    def _bucket_owner(self, bucket: str, caller_account: str | None) -> str | None:
        candidates = [caller_account] if caller_account else []
        if self._accounts is not None:
            candidates += [account for account in self._accounts() if account != caller_account]
        for account in candidates:
            if bucket in self._listing(account):
                return account
        # Owned by none of them: does it exist at all?
        client = self._upstream.client("s3", caller_account or "", DEFAULT_REGION)
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as error:
            code = _client_error_code(error)
            if code in ("404", "NoSuchBucket", "NotFound"):
                return None
            if code not in ("403", "AccessDenied"):  # 403: it exists, in an account iamd cannot read
                raise ResourcePolicyUnavailable(f"the upstream answered {code or 'an error'} (HeadBucket)") from None
        except BotoCoreError as error:
            raise ResourcePolicyUnavailable(f"the upstream could not be read: {type(error).__name__}") from None
        return UNKNOWN_OWNER

    def _listing(self, account: str) -> frozenset[str]:
        """The buckets one account owns (ListBuckets lists only the caller's own), cached."""
        listing = self._cached(("s3-listing", account), "s3-listing", account, lambda: self._list_buckets(account))
        return cast("frozenset[str]", listing)

    def _list_buckets(self, account: str) -> frozenset[str]:
        client = self._upstream.client("s3", account, DEFAULT_REGION)
        names: set[str] = set()
        token: str | None = None
        while True:
            kwargs: dict[str, str] = {"ContinuationToken": token} if token else {}
            page = _call(functools.partial(client.list_buckets, **kwargs))
            if page is None:
                break
            names.update(entry["Name"] for entry in page.get("Buckets", []))
            token = page.get("ContinuationToken")
            if not token:
                break
        return frozenset(names)

    def _target(self, service: str, arn: str, caller_account: str | None, peek: bool = False) -> Any:
        """The _Target to read, None when the ARN names nothing with a policy; with ``peek``, _MISSING
        when naming it would need an upstream call (an alias not resolved yet)."""
        parts = arn.split(":", 6)
        if len(parts) < 6 or parts[0] != "arn":
            return None
        region = parts[3] or DEFAULT_REGION
        account = parts[4] or caller_account
        if not account:
            return None
        resource = parts[5] if len(parts) == 6 else parts[5] + ":" + parts[6]
        if service == "sqs":
            def queue_policy(client: Any) -> str | None:
                url = client.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"]
                return cast("str | None", client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get(
                    "Attributes", {}).get("Policy"))

            return _Target("sqs", (resource,), ("sqs", account, region, resource), account, region, queue_policy)
        if service == "sns":
            return _Target("sns", (resource,), ("sns", account, region, resource), account, region,
                           lambda client: client.get_topic_attributes(TopicArn=arn)
                           .get("Attributes", {}).get("Policy"))
        if service == "kms":
            return self._key_target(account, region, resource, peek)
        if service == "lambda":
            if not resource.startswith("function:"):
                return None
            name, _, qualifier = resource[len("function:"):].partition(":")
            extra = {"Qualifier": qualifier} if qualifier else {}
            return _Target("lambda", (name,), ("lambda", account, region, name, qualifier), account, region,
                           lambda client: _principals_as_aws_shows_them(
                               client.get_policy(FunctionName=name, **extra)["Policy"]))
        if service == "secretsmanager":
            if not resource.startswith("secret:"):
                return None
            given = resource[len("secret:"):]
            # The request names the secret by its name ("db-secret") or by its full ARN, whose last
            # seven characters ("-AbC123") are random. Which one, the text cannot tell ("db-secret"
            # looks like the name "db" and a suffix): read by name first, then by the full ARN.
            stripped = _SECRET_SUFFIX.sub("", given)
            names = (given,) if stripped == given else (given, stripped)

            def secret_policy(client: Any) -> str | None:
                if "?" not in given:
                    try:
                        return cast("str | None", client.get_resource_policy(SecretId=given).get("ResourcePolicy"))
                    except ClientError as error:
                        if _client_error_code(error) != "ResourceNotFoundException" or stripped == given:
                            raise
                secret_id = arn if "?" not in given else stripped
                return cast("str | None", client.get_resource_policy(SecretId=secret_id).get("ResourcePolicy"))

            return _Target("secretsmanager", names, ("secretsmanager", account, region, given), account, region,
                           secret_policy)
        return None

    def _key_target(self, account: str, region: str, resource: str, peek: bool) -> Any:
        key_id: str | None
        if resource.startswith("key/"):
            key_id = resource[len("key/"):]
        elif resource.startswith("alias/"):
            if peek:
                known, key_id = self.kms_alias_cached(account, region, resource)
                if not known:
                    return _MISSING
            else:
                key_id = self.kms_alias(account, region, resource)
            if key_id is None:
                return None
        else:
            return None
        # A key id is never reused: it alone identifies the key (and its policy's cache entry).
        return _Target("kms", (key_id,), ("kms", key_id), account, region,
                       lambda client: client.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])

    def _resolve_alias(self, account: str, region: str, alias: str) -> str | None:
        client = self._upstream.client("kms", account, region)
        metadata = _call(lambda: client.describe_key(KeyId=alias)["KeyMetadata"])
        return None if metadata is None else metadata["KeyId"]

    def _read(self, target: _Target) -> str | None:
        client = self._upstream.client(target.service, target.account or "", target.region)
        return cast("str | None", _call(lambda: target.read(client)))

    # ------------------------------------------------------------------------------ the cache

    def _peek(self, key: tuple[str, ...]) -> Any:
        with self._lock:
            return self._entries.get(key, self._clock())

    def _cached(self, key: tuple[str, ...], service: str, names: str | tuple[str, ...], load: Callable[[], Any],
                key_for: Callable[[Any], tuple[str, ...]] | None = None) -> Any:
        """The entry at ``key``, else ``load()``'s answer (or that of a read of it in flight: flights.py),
        stored at ``key`` (or ``key_for(answer)``)."""
        found = self._peek(key)
        if found is not _MISSING:
            return found
        with self._lock:
            forgets = self._forgets
        value = self._flights.read(key, forgets, load)
        self._store(key_for(value) if key_for is not None else key, service, names, value, forgets)
        return value

    def _store(self, key: tuple[str, ...], service: str, names: str | tuple[str, ...], value: Any,
               forgets: int) -> None:
        with self._lock:
            if self._forgets != forgets:  # a change forwarded meanwhile: the answer may predate it
                return
            index = tuple((service, name) for name in ((names,) if isinstance(names, str) else names))
            self._entries.put(key, self._clock() + self._ttl, value, index)

    # ------------------------------------------------------------------------------ forgetting

    def forget(self, request: ServiceRequestLike) -> bool:
        """After forwarding ``request``: drop what it may have changed (see the module's docstring).

        The edge calls it once the upstream has answered (whatever the answer: a failed change drops
        entries for nothing, which costs one read) and before the client gets that answer, so that the
        client's next request is decided by the new state."""
        identified = request.identified
        names = _changed(identified.service, identified.operation, request.params)
        if not names:
            if (identified.service, identified.operation) in _CHANGES and identified.operation != "CreateKey":
                # A change naming its resource in a way the cache cannot map (a key policy put through an
                # alias): every entry goes, rather than one left stale.
                self.clear()
                return True
            return False
        with self._lock:
            self._forgets += 1
            for service, name in names:
                self._entries.drop((service, name))
                if service == "s3":
                    # The owner may change too: every account's bucket listing may now be stale.
                    for index_key in self._entries.names():
                        if index_key[0] == "s3-listing":  # type: ignore[index]
                            self._entries.drop(index_key)
        return True

    def clear(self) -> None:
        with self._lock:
            self._forgets += 1
            self._entries.clear()


_MISSING = MISSING  # absent or expired, as NamedEntries answers (a cached value may be None)


def _call(read: Callable[[], Any]) -> Any:
    """One upstream read: its answer, None for an absent resource or policy, else ResourcePolicyUnavailable."""
    try:
        return read()
    except ClientError as error:
        code = _client_error_code(error)
        if code in _ABSENT:
            return None
        raise ResourcePolicyUnavailable(f"the upstream answered {code or 'an error'} "
                                        f"({error.operation_name})") from None
    except (BotoCoreError, KeyError) as error:
        raise ResourcePolicyUnavailable(f"the upstream could not be read: {type(error).__name__}") from None


def _principals_as_aws_shows_them(document: str) -> str:
    """A Lambda policy whose statements give Principal as a bare string (moto stores AddPermission's
    Principal as given: "123456789012", an ARN, "s3.amazonaws.com") in the shape AWS's GetPolicy
    answers, which the policy grammar requires: {"AWS": "arn:aws:iam::123456789012:root"},
    {"AWS": ARN}, {"Service": NAME}. Any other text is returned as it came."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return document
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if not isinstance(statements, list):
        return document
    changed = False
    for statement in statements:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, str) or principal == "*":
            continue
        if principal.isdigit() and len(principal) == 12:
            statement["Principal"] = {"AWS": f"arn:aws:iam::{principal}:root"}
        elif principal.startswith("arn:"):
            statement["Principal"] = {"AWS": principal}
        else:
            statement["Principal"] = {"Service": principal}
        changed = True
    return json.dumps(parsed) if changed else document


def _bucket_name(arn: str) -> str:
    """The bucket of a bucket or object ARN (arn:PARTITION:s3:::bucket[/key]); "" for any other S3 ARN
    (access points, jobs ...: they have no bucket policy of their own here)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "s3" or parts[3] or parts[4]:
        return ""
    return parts[5].split("/", 1)[0]


# (service, operation) → the request members naming the resource whose policy it may change.
_CHANGES: dict[tuple[str, str], tuple[str, str]] = {
    ("s3", "PutBucketPolicy"): ("s3", "Bucket"),
    ("s3", "DeleteBucketPolicy"): ("s3", "Bucket"),
    ("s3", "DeleteBucket"): ("s3", "Bucket"),
    ("s3", "CreateBucket"): ("s3", "Bucket"),
    ("sqs", "SetQueueAttributes"): ("sqs", "QueueUrl"),
    ("sqs", "AddPermission"): ("sqs", "QueueUrl"),
    ("sqs", "RemovePermission"): ("sqs", "QueueUrl"),
    ("sqs", "DeleteQueue"): ("sqs", "QueueUrl"),
    ("sqs", "CreateQueue"): ("sqs", "QueueName"),
    ("sns", "SetTopicAttributes"): ("sns", "TopicArn"),
    ("sns", "AddPermission"): ("sns", "TopicArn"),
    ("sns", "RemovePermission"): ("sns", "TopicArn"),
    ("sns", "DeleteTopic"): ("sns", "TopicArn"),
    ("sns", "CreateTopic"): ("sns", "Name"),
    ("kms", "PutKeyPolicy"): ("kms", "KeyId"),
    ("kms", "ScheduleKeyDeletion"): ("kms", "KeyId"),
    ("kms", "CancelKeyDeletion"): ("kms", "KeyId"),
    ("kms", "CreateAlias"): ("kms-alias", "AliasName"),
    ("kms", "UpdateAlias"): ("kms-alias", "AliasName"),
    ("kms", "DeleteAlias"): ("kms-alias", "AliasName"),
    ("lambda", "AddPermission"): ("lambda", "FunctionName"),
    ("lambda", "RemovePermission"): ("lambda", "FunctionName"),
    ("lambda", "DeleteFunction"): ("lambda", "FunctionName"),
    ("lambda", "CreateFunction"): ("lambda", "FunctionName"),
    ("secretsmanager", "PutResourcePolicy"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "DeleteResourcePolicy"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "DeleteSecret"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "RestoreSecret"): ("secretsmanager", "SecretId"),
    ("secretsmanager", "CreateSecret"): ("secretsmanager", "Name"),
}


def _changed(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(cache service, resource name) pairs a forwarded request may have changed."""
    if (service, operation) == ("kms", "CreateKey"):
        return []  # a new key has a new id: nothing cached can be about it
    entry = _CHANGES.get((service, operation))
    if entry is None:
        return []
    kind, member = entry
    value = params.get(member)
    if not isinstance(value, str) or not value:
        return []
    return [(kind, name) for name in _names(kind, value)]


def _names(kind: str, value: str) -> list[str]:
    """The cache names a request member's value may stand for."""
    if kind == "sqs":  # a queue URL or a name
        return [value.rstrip("/").rsplit("/", 1)[-1]]
    if kind == "sns":  # a topic ARN or a name
        return [value.rsplit(":", 1)[-1]]
    if kind == "lambda":  # a name, a partial ARN (123456789012:function:name) or an ARN, maybe qualified
        if ":function:" in value:
            value = value.split(":function:", 1)[1]
        return [value.split(":", 1)[0]]
    if kind == "secretsmanager":  # a name, or an ARN (its suffix, if any, cut: entries are named so too)
        if value.startswith("arn:") and ":secret:" in value:
            given = value.split(":secret:", 1)[1]
            stripped = _SECRET_SUFFIX.sub("", given)
            return [given] if stripped == given else [given, stripped]
        return [value]
    if kind == "kms":  # a key id, key ARN, alias name or alias ARN
        resource = value.split(":", 5)[5] if value.startswith("arn:") and value.count(":") >= 5 else value
        if resource.startswith("key/"):
            return [resource[len("key/"):]]
        if resource.startswith("alias/"):
            # Which key the alias names is not known here without a call: the alias's own entry goes,
            # and the next read resolves it afresh (a key's policy entry is under its unique id).
            return []
        return [resource]
    if kind == "kms-alias":
        return [value]
    return [value]
