"""Versions of managed policies: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
DeletePolicyVersion, SetDefaultPolicyVersion.

Version ids are ``v1``, ``v2``, ... from the policy's ``next_version`` and never reused; a policy
holds at most 5. AWS managed policies' versions come from the reference catalogue and cannot change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from iamd.errors import AccessDenied, DeleteConflict, NoSuchEntity
from iamd.reference import managed_policies as aws_catalogue
from iamd.service import policy_documents
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, encode_marker
from iamd.service.policies.policy_attachments import account_of, check_arn, policy_resource, target_policy
from iamd.store.schema import managed_policies, policy_versions

MAX_VERSIONS = quotas.POLICY_VERSIONS.limit  # VersionsPerPolicyQuota


def number(version_id: str) -> int:
    return int(version_id[1:].split(".", 1)[0])


def _no_such_version(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


def _own_policy(tx: Connection, call: Call, arn: str, outside_message: str, missing: NoSuchEntity):
    """The caller's customer policy, or AWS's refusal for another account's (or AWS's own) policy."""
    check_arn(arn)
    if account_of(arn) != call.account_id:
        raise AccessDenied(outside_message)
    row = target_policy(tx, call, arn)
    if row is None:
        raise missing
    return row


def create_policy_version(tx: Connection, call: Call, params: dict) -> dict:
    arn, text = params["PolicyArn"], params["PolicyDocument"]
    row = _own_policy(tx, call, arn, "Cannot create versions for policies outside your own account.",
                      NoSuchEntity(f"Policy {arn} was not found."))
    policy_documents.check_document(text, "managed")
    policy_documents.check_managed_size(text)
    quotas.hold_policy(tx, row, NoSuchEntity(f"Policy {arn} was not found."))
    quotas.check(tx, quotas.POLICY_VERSIONS, policy_versions, policy_versions.c.policy_id == row.id)
    tx.execute(update(managed_policies).where(managed_policies.c.id == row.id)
               .values(next_version=managed_policies.c.next_version + 1))
    next_version = tx.execute(select(managed_policies.c.next_version)
                              .where(managed_policies.c.id == row.id)).scalar_one()
    version_id = f"v{next_version - 1}"
    tx.execute(insert(policy_versions).values(policy_id=row.id, version_id=version_id, document=text,
                                              created_at=call.now))
    as_default = bool(params.get("SetAsDefault"))
    if as_default:
        tx.execute(update(managed_policies).where(managed_policies.c.id == row.id)
                   .values(default_version_id=version_id, updated_at=call.now))
    return {"PolicyVersion": {"VersionId": version_id, "IsDefaultVersion": as_default, "CreateDate": call.now}}


def get_policy_version(tx: Connection, call: Call, params: dict) -> dict:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    check_arn(arn)
    aws_policy = aws_catalogue.get(arn)
    if aws_policy is not None:
        known = {v.version_id: v for v in aws_catalogue.versions(arn)}
        text = aws_catalogue.document(arn, version_id) if version_id in known else None
        if text is None:
            raise _no_such_version(arn, version_id)
        version = known[version_id]
        return {"PolicyVersion": {
            "Document": text, "VersionId": version_id, "IsDefaultVersion": version.is_default,
            "CreateDate": version.create_date or aws_policy.create_date,
        }}
    row = target_policy(tx, call, arn)
    stored = None if row is None else tx.execute(select(policy_versions).where(
        policy_versions.c.policy_id == row.id, policy_versions.c.version_id == version_id)).first()
    if row is None or stored is None:
        raise _no_such_version(arn, version_id)
    return {"PolicyVersion": {
        "Document": stored.document, "VersionId": version_id,
        "IsDefaultVersion": version_id == row.default_version_id, "CreateDate": stored.created_at,
    }}


def list_policy_versions(tx: Connection, call: Call, params: dict) -> dict:
    arn = params["PolicyArn"]
    check_arn(arn)
    policy = aws_catalogue.get(arn)
    versions: list[dict[str, Any]]
    if policy is not None:
        versions = [
            {"VersionId": v.version_id, "IsDefaultVersion": v.is_default,
             "CreateDate": v.create_date or policy.create_date}
            for v in aws_catalogue.versions(arn)
        ]
    else:
        row = target_policy(tx, call, arn)
        if row is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        versions = [
            {"VersionId": v.version_id, "IsDefaultVersion": v.version_id == row.default_version_id,
             "CreateDate": v.created_at}
            for v in tx.execute(select(policy_versions).where(policy_versions.c.policy_id == row.id))
        ]
    versions.sort(key=lambda v: number(v["VersionId"]), reverse=True)  # newest first
    after = decode_marker(params.get("Marker"))
    if after is not None:
        versions = [v for v in versions if number(v["VersionId"]) < number(after)]
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    if len(versions) > max_items:
        versions = versions[:max_items]
        return {"Versions": versions, "IsTruncated": True, "Marker": encode_marker(versions[-1]["VersionId"])}
    return {"Versions": versions, "IsTruncated": False}


def delete_policy_version(tx: Connection, call: Call, params: dict) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    row = _own_policy(tx, call, arn, "Cannot delete policy versions for policies outside your own account.",
                      _no_such_version(arn, version_id))
    quotas.hold_policy(tx, row, _no_such_version(arn, version_id))  # the default cannot move meanwhile
    if version_id == row.default_version_id:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    gone = tx.execute(delete(policy_versions).where(
        policy_versions.c.policy_id == row.id, policy_versions.c.version_id == version_id))
    if gone.rowcount == 0:
        raise _no_such_version(arn, version_id)


def set_default_policy_version(tx: Connection, call: Call, params: dict) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    row = _own_policy(tx, call, arn, "Cannot update policies outside your own account.",
                      _no_such_version(arn, version_id))
    quotas.hold_policy(tx, row, _no_such_version(arn, version_id))  # the version cannot go meanwhile
    held = tx.scalar(select(func.count()).select_from(policy_versions).where(
        policy_versions.c.policy_id == row.id, policy_versions.c.version_id == version_id))
    if not held:
        raise _no_such_version(arn, version_id)
    tx.execute(update(managed_policies).where(managed_policies.c.id == row.id)
               .values(default_version_id=version_id, updated_at=call.now))


OPERATIONS = (
    iam("CreatePolicyVersion", create_policy_version, policy_resource),
    iam("GetPolicyVersion", get_policy_version, policy_resource, writes=False),
    iam("ListPolicyVersions", list_policy_versions, policy_resource, writes=False),
    iam("DeletePolicyVersion", delete_policy_version, policy_resource),
    iam("SetDefaultPolicyVersion", set_default_policy_version, policy_resource),
)
