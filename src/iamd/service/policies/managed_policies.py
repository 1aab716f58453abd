"""Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the policy's tags.

Customer managed policies live in the store; AWS managed ones in the reference catalogue. Versions are
served by ``policy_versions``, attachments by ``policy_attachments``; their operations are declared
here too, so that this module's OPERATIONS holds the whole area.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import ColumnElement, Connection, delete, exists, false, func, insert, select
from sqlalchemy.exc import IntegrityError

from iamd.errors import AccessDenied, DeleteConflict, EntityAlreadyExists, NoSuchEntity
from iamd.reference import managed_policies as aws_catalogue
from iamd.security import ids
from iamd.service import policy_documents, resources, tags as tagging
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, encode_marker
from iamd.service.policies import policy_attachments, policy_versions
from iamd.service.policies.policy_attachments import (
    account_of,
    attached_arns,
    boundary_arns,
    check_arn,
    policy_resource,
    target_policy,
    usage_counts,
)
from iamd.service.targets import Target
from iamd.store.schema import managed_policies, policy_attachments as attachments_table, policy_versions as versions

AWS_KIND, LOCAL_KIND = "0", "1"  # for equal names, AWS managed policies list first


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} was not found.")


def describe(row, counts: tuple[int, int] = (0, 0)) -> dict:
    """A customer managed policy as the Policy shape, without Description and Tags."""
    return {
        "PolicyName": row.name,
        "PolicyId": row.id,
        "Arn": row.arn,
        "Path": row.path,
        "DefaultVersionId": row.default_version_id,
        "AttachmentCount": counts[0],
        "PermissionsBoundaryUsageCount": counts[1],
        "IsAttachable": True,
        "CreateDate": row.created_at,
        "UpdateDate": row.updated_at,
    }


def describe_aws(policy: aws_catalogue.AwsManagedPolicy, counts: tuple[int, int] = (0, 0)) -> dict:
    return {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": counts[0],
        "PermissionsBoundaryUsageCount": counts[1],
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
    }


def create_resource(call: Call, params: dict) -> str | Target:
    """The new policy's ARN; a namesake's row, if one exists, is the resource named (its tags)."""
    return resources.arn_target(call, policy_arn(call.account_id, params.get("Path", "/"), params["PolicyName"]))


def create_policy(tx: Connection, call: Call, params: dict) -> dict:
    name, path, text = params["PolicyName"], params.get("Path", "/"), params["PolicyDocument"]
    policy_documents.check_document(text, "managed")
    policy_documents.check_managed_size(text)
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=False)
    taken = EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    quotas.hold_account(tx, call.account_id)
    if tx.scalar(select(exists().where(managed_policies.c.account_id == call.account_id,
                                       managed_policies.c.name_key == name.lower()))):
        raise taken
    quotas.check(tx, quotas.POLICIES, managed_policies, managed_policies.c.account_id == call.account_id)
    policy_id = ids.unique_id("policy")
    try:
        tx.execute(insert(managed_policies).values(
            id=policy_id, account_id=call.account_id, name=name, name_key=name.lower(), path=path,
            arn=policy_arn(call.account_id, path, name), description=params.get("Description"),
            default_version_id="v1", next_version=2, created_at=call.now, updated_at=call.now,
        ))
    except IntegrityError:
        raise taken from None
    tx.execute(insert(versions).values(policy_id=policy_id, version_id="v1", document=text, created_at=call.now))
    if new_tags:
        tagging.put_tags(tx, policy_id, new_tags, case_insensitive=False)
    row = tx.execute(select(managed_policies).where(managed_policies.c.id == policy_id)).one()
    policy = describe(row)
    if new_tags:
        policy["Tags"] = new_tags
    return {"Policy": policy}


def get_policy(tx: Connection, call: Call, params: dict) -> dict:
    arn = params["PolicyArn"]
    check_arn(arn)
    counts = usage_counts(tx, call.account_id, [arn]).get(arn, (0, 0))
    aws_policy = aws_catalogue.get(arn)
    if aws_policy is not None:
        policy = describe_aws(aws_policy, counts)
        if aws_policy.description:
            policy["Description"] = aws_policy.description
        return {"Policy": {**policy, "Tags": []}}
    row = target_policy(tx, call, arn)
    if row is None:
        raise not_found(arn)
    policy = describe(row, counts)
    if row.description:
        policy["Description"] = row.description
    policy["Tags"] = tagging.list_tags(tx, row.id)
    return {"Policy": policy}


def delete_policy(tx: Connection, call: Call, params: dict) -> None:
    arn = params["PolicyArn"]
    check_arn(arn)
    if account_of(arn) != call.account_id:
        raise AccessDenied("Cannot delete policies outside your own account.")
    row = target_policy(tx, call, arn)
    if row is None:
        raise not_found(arn)
    quotas.hold_policy(tx, row, not_found(arn))  # no attachment or version added meanwhile
    if tx.scalar(select(exists().where(attachments_table.c.account_id == call.account_id,
                                       attachments_table.c.policy_arn == arn))):
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    held = tx.execute(select(func.count()).select_from(versions).where(versions.c.policy_id == row.id)).scalar_one()
    if held > 1:
        raise DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete "
                             "the policy's versions. The default version is deleted with the policy.")
    tagging.drop_all(tx, row.id)
    tx.execute(delete(versions).where(versions.c.policy_id == row.id))
    tx.execute(delete(managed_policies).where(managed_policies.c.id == row.id))


# ---- ListPolicies -------------------------------------------------------------------------------------
#
# The AWS managed policies (from the catalogue, sorted by name) and the account's own (from the store,
# sorted by name in binary order) are merged by (name, kind). The marker is the last name and kind
# given, "<name>/<kind>": a policy name holds no "/".

@lru_cache(maxsize=1)
def _catalogue() -> tuple[tuple[aws_catalogue.AwsManagedPolicy, ...], tuple[str, ...]]:
    """The catalogue's policies by name, and their names (to find a marker's place by bisection)."""
    policies = tuple(aws_catalogue.list_policies())
    return policies, tuple(policy.name for policy in policies)


def _aws_candidates(prefix: str, required: set[str] | None, after: str | None, limit: int) -> list:
    """Up to ``limit`` AWS managed policies under ``prefix`` named after ``after``, by name."""
    if required is not None:
        found = (aws_catalogue.get(arn) for arn in required if aws_catalogue.is_aws_managed_arn(arn))
        source: Sequence[aws_catalogue.AwsManagedPolicy] = sorted((p for p in found if p is not None),
                                                                  key=lambda p: p.name)
        if after is not None:
            source = [p for p in source if p.name > after]
    else:
        policies, names = _catalogue()
        source = policies[bisect_right(names, after):] if after is not None else policies
    chosen = []
    for policy in source:
        if policy.path.startswith(prefix):
            chosen.append(policy)
            if len(chosen) >= limit:
                break
    return chosen


def _local_candidates(tx: Connection, call: Call, prefix: str, required: set[str] | None, after: tuple | None,
                      limit: int) -> list:
    name: ColumnElement[str] = managed_policies.c.name
    if tx.dialect.name == "postgresql":
        name = name.collate("C")  # the byte order the catalogue is sorted in
    query = select(managed_policies).where(managed_policies.c.account_id == call.account_id)
    if prefix != "/":
        query = query.where(managed_policies.c.path.startswith(prefix, autoescape=True))
    if required is not None:
        query = query.where(managed_policies.c.arn.in_(required)) if required else query.where(false())
    if after is not None:
        after_name, after_kind = after
        query = query.where(name >= after_name if after_kind == AWS_KIND else name > after_name)
    return list(tx.execute(query.order_by(name).limit(limit)).all())


def _marker(marker: str | None) -> tuple[str, str] | None:
    key = decode_marker(marker)
    if key is None:
        return None
    name, _, kind = key.rpartition("/")
    return name, kind


def list_policies(tx: Connection, call: Call, params: dict) -> dict:
    scope = params.get("Scope", "All")
    prefix = params.get("PathPrefix") or "/"
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = _marker(params.get("Marker"))
    # Which policies qualify: used as a boundary (PolicyUsageFilter PermissionsBoundary), attached as a
    # permissions policy (OnlyAttached), or all of them.
    required: set[str] | None = None
    if params.get("PolicyUsageFilter") == "PermissionsBoundary":
        required = boundary_arns(tx, call.account_id)
    elif params.get("OnlyAttached"):
        required = attached_arns(tx, call.account_id)
    limit = max_items + 1
    aws_side = [] if scope == "Local" else [
        ((p.name, AWS_KIND), p) for p in _aws_candidates(prefix, required, after and after[0], limit)]
    local_side = [] if scope == "AWS" else [
        ((row.name, LOCAL_KIND), row) for row in _local_candidates(tx, call, prefix, required, after, limit)]
    merged = list(heapq.merge(aws_side, local_side, key=lambda pair: pair[0]))[:limit]
    truncated = len(merged) > max_items
    merged = merged[:max_items]
    counts = usage_counts(tx, call.account_id, [item.arn for _, item in merged])
    policies = [
        describe_aws(item, counts[item.arn]) if kind == AWS_KIND else describe(item, counts[item.arn])
        for (_, kind), item in merged
    ]
    if truncated:
        last_name, last_kind = merged[-1][0]
        return {"Policies": policies, "IsTruncated": True, "Marker": encode_marker(f"{last_name}/{last_kind}")}
    return {"Policies": policies, "IsTruncated": False}


# ---- tags ---------------------------------------------------------------------------------------------

def _tagged_policy(tx: Connection, call: Call, arn: str):
    check_arn(arn)
    row = target_policy(tx, call, arn)
    if row is None:
        raise not_found(arn)
    return row


def tag_policy(tx: Connection, call: Call, params: dict) -> None:
    tagging.check_no_duplicates(params["Tags"], case_insensitive=False)
    row = _tagged_policy(tx, call, params["PolicyArn"])
    tagging.put_tags(tx, row.id, params["Tags"], case_insensitive=False)


def untag_policy(tx: Connection, call: Call, params: dict) -> None:
    row = _tagged_policy(tx, call, params["PolicyArn"])
    tagging.remove_tags(tx, row.id, params["TagKeys"], case_insensitive=False)


def list_policy_tags(tx: Connection, call: Call, params: dict) -> dict:
    row = _tagged_policy(tx, call, params["PolicyArn"])
    # AWS lists policy tags shortest key first, then by key: abc, b, z, a → a, b, z, abc; A before a.
    ordered = sorted(tagging.list_tags(tx, row.id), key=lambda tag: (len(tag["Key"]), tag["Key"]))
    return tagging.paged(ordered, params.get("Marker"), params.get("MaxItems"))


OPERATIONS = (
    iam("CreatePolicy", create_policy, create_resource),
    iam("GetPolicy", get_policy, policy_resource, writes=False),
    iam("ListPolicies", list_policies, any_resource, writes=False),
    iam("DeletePolicy", delete_policy, policy_resource),
    iam("TagPolicy", tag_policy, policy_resource),
    iam("UntagPolicy", untag_policy, policy_resource),
    iam("ListPolicyTags", list_policy_tags, policy_resource, writes=False),
) + policy_versions.OPERATIONS + policy_attachments.OPERATIONS
