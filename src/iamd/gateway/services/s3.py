"""Amazon S3: operations to actions, bucket and object ARNs, S3's request keys.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3", and
the S3 User Guide's "Required permissions for Amazon S3 API operations" (which action each operation
needs: HeadObject is s3:GetObject, ListObjectsV2 is s3:ListBucket, a versionId turns GetObject into
s3:GetObjectVersion, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item
from iamd.gateway.classify import Unclassified

PREFIX = "s3"

# Operations whose action is not their name.
ACTIONS = {
    "AbortMultipartUpload": "AbortMultipartUpload",
    "CompleteMultipartUpload": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "HeadObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "ListBuckets": "ListAllMyBuckets",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration": "PutInventoryConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "DeleteBucketMetricsConfiguration": "PutMetricsConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
    "CreateBucketMetadataConfiguration": "CreateBucketMetadataTableConfiguration",
    "DeleteBucketMetadataConfiguration": "DeleteBucketMetadataTableConfiguration",
    "GetBucketMetadataConfiguration": "GetBucketMetadataTableConfiguration",
}

# A versionId in the request turns these into their *Version action.
VERSIONED = {
    "GetObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObjectAttributes": "GetObjectVersionAttributes",
    "GetObjectTorrent": "GetObjectVersionTorrent",
}

# Operations of other IAM prefixes: S3 Express directory buckets and S3 Object Lambda.
OTHER_PREFIX = {
    "CreateSession": ("s3express", "CreateSession"),
    "ListDirectoryBuckets": ("s3express", "ListAllMyDirectoryBuckets"),
    "RenameObject": ("s3express", "CreateSession"),  # directory buckets authorize by session (API reference)
    "WriteGetObjectResponse": ("s3-object-lambda", "WriteGetObjectResponse"),
}

# Request members -> S3 condition keys (kept only where the reference lists the key for the action).
MEMBER_KEYS = {
    "Prefix": "s3:prefix",
    "Delimiter": "s3:delimiter",
    "MaxKeys": "s3:max-keys",
    "ACL": "s3:x-amz-acl",
    "GrantRead": "s3:x-amz-grant-read",
    "GrantWrite": "s3:x-amz-grant-write",
    "GrantReadACP": "s3:x-amz-grant-read-acp",
    "GrantWriteACP": "s3:x-amz-grant-write-acp",
    "GrantFullControl": "s3:x-amz-grant-full-control",
    "ServerSideEncryption": "s3:x-amz-server-side-encryption",
    "SSEKMSKeyId": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "SSECustomerAlgorithm": "s3:x-amz-server-side-encryption-customer-algorithm",
    "StorageClass": "s3:x-amz-storage-class",
    "WebsiteRedirectLocation": "s3:x-amz-website-redirect-location",
    "MetadataDirective": "s3:x-amz-metadata-directive",
    "ObjectLockMode": "s3:object-lock-mode",
    "ObjectLockRetainUntilDate": "s3:object-lock-retain-until-date",
    "ObjectLockLegalHoldStatus": "s3:object-lock-legal-hold",
    "ObjectOwnership": "s3:x-amz-object-ownership",
    "IfMatch": "s3:if-match",
    "IfNoneMatch": "s3:if-none-match",
    "VersionId": "s3:VersionId",
}


def _location(bucket: str, t: Target) -> tuple[dict[str, str], str | None, str | None]:
    """Placeholder values for a Bucket member, which may be an access point ARN: (values, region, owner)."""
    if bucket.startswith("arn:"):
        parts = bucket.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("accesspoint/"):
            return {"AccessPointName": parts[5].split("/", 1)[1]}, parts[3] or None, parts[4] or None
        return {}, None, None
    return {"BucketName": bucket}, None, None


def _copy_source(value: Any) -> tuple[str, str, str | None] | None:
    """CopySource as (bucket, key, versionId): "bucket/key?versionId=v" (URL-encoded) or a dict."""
    if isinstance(value, Mapping):
        return str(value.get("Bucket", "")), str(value.get("Key", "")), value.get("VersionId")
    if not isinstance(value, str):
        return None
    path, _, query = value.lstrip("/").partition("?")
    bucket, _, key = path.partition("/")
    version = dict(parse_qsl(query)).get("versionId")
    return unquote(bucket), unquote(key), version


def _context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {}
    for member, value in params.items():
        key = MEMBER_KEYS.get(member)
        if key is not None:
            add(ctx, key, value)
    config = params.get("CreateBucketConfiguration")
    if isinstance(config, Mapping):
        add(ctx, "s3:LocationConstraint", config.get("LocationConstraint"))
    if "CopySource" in params:
        add(ctx, "s3:x-amz-copy-source", params["CopySource"])
    tagging = params.get("Tagging")
    tags: list[tuple[str, str]] = []
    if isinstance(tagging, str):
        tags = parse_qsl(tagging, keep_blank_values=True)
    elif isinstance(tagging, Mapping):
        tags = [(str(t.get("Key")), str(t.get("Value", ""))) for t in tagging.get("TagSet", [])]
    for k, v in tags:
        ctx[f"s3:RequestObjectTag/{k}"] = v
    if tags:
        ctx["s3:RequestObjectTagKeys"] = [k for k, _ in tags]
    retention = params.get("Retention")
    if isinstance(retention, Mapping):
        add(ctx, "s3:object-lock-mode", retention.get("Mode"))
        add(ctx, "s3:object-lock-retain-until-date", retention.get("RetainUntilDate"))
    hold = params.get("LegalHold")
    if isinstance(hold, Mapping):
        add(ctx, "s3:object-lock-legal-hold", hold.get("Status"))
    return ctx


def _object_item(action: str, t: Target, bucket: str, key: str | None,
                 context: Mapping[str, ContextValue]) -> AuthorizationItem:
    values, region, owner = _location(bucket, t)
    if key is not None:
        values["ObjectName"] = key
    return item(PREFIX, action, t, values, context, owner=owner, region=region)


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    if op in OTHER_PREFIX:
        prefix, action = OTHER_PREFIX[op]
        return [AuthorizationItem(f"{prefix}:{action}", "*", {})]
    ctx = _context(params)
    bucket = params.get("Bucket")
    key = params.get("Key")
    if op in ("CopyObject", "UploadPartCopy"):
        source = _copy_source(params.get("CopySource"))
        out = []
        if source is not None:
            src_bucket, src_key, src_version = source
            get = "GetObjectVersion" if src_version else "GetObject"
            src_ctx = {"s3:VersionId": src_version} if src_version else {}
            out.append(_object_item(get, t, src_bucket, src_key, src_ctx))
        out.append(_object_item("PutObject", t, str(bucket), key, ctx))
        return out
    if op == "DeleteObjects":
        delete = params.get("Delete")
        objects = delete.get("Objects") if isinstance(delete, Mapping) else None
        if not objects:  # the keys are what is authorized: without them (body not read), nothing is
            raise Unclassified("DeleteObjects without its Delete payload (the keys to authorize)")
        out = []
        for obj in objects:
            version = obj.get("VersionId")
            action = "DeleteObjectVersion" if version else "DeleteObject"
            obj_ctx = {"s3:VersionId": str(version)} if version else {}
            out.append(_object_item(action, t, str(bucket), str(obj["Key"]), obj_ctx))
        return out
    action = ACTIONS.get(op, op)
    if params.get("VersionId") and action in VERSIONED:
        action = VERSIONED[action]
    if bucket is None:
        return [item(PREFIX, action, t, {}, ctx)]
    return [_object_item(action, t, str(bucket), key, ctx)]
