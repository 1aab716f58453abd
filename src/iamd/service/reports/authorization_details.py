"""GetAccountAuthorizationDetails: the account's users, groups, roles and policies in one listing. It reads the
users, groups, policies and their attachments directly (it does not call the modules that write them)
and pages across all its lists at once: one Marker, MaxItems counted over every entry returned.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, select

from iamd.errors import ValidationError
from iamd.reference import managed_policies as aws_catalogue
from iamd.security import ids
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import boundaries, instance_profiles as instance_profile_area, roles as role_area
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, encode_marker
from iamd.service.reports.account_summary import count_rows
from iamd.service.tags import list_tags
from iamd.store.schema import (
    group_members,
    groups,
    inline_policies,
    managed_policies,
    policy_attachments,
    policy_versions,
    roles,
    users,
)


def _attached(tx: Connection, entity_id: str) -> list[dict]:
    arns = tx.scalars(select(policy_attachments.c.policy_arn).where(policy_attachments.c.entity_id == entity_id)
                      .order_by(policy_attachments.c.attached_at, policy_attachments.c.policy_arn)).all()
    return [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in arns]


def _inline(tx: Connection, entity_id: str) -> list[dict]:
    rows = tx.execute(select(inline_policies.c.name, inline_policies.c.document)
                      .where(inline_policies.c.entity_id == entity_id).order_by(inline_policies.c.name)).all()
    return [{"PolicyName": name, "PolicyDocument": document} for name, document in rows]


def _user_details(tx: Connection, call: Call, after: str | None, limit: int) -> list[tuple[str, dict]]:
    query = select(users).where(users.c.account_id == call.account_id)
    if after is not None:
        query = query.where(users.c.name_key > after)
    out = []
    for row in tx.execute(query.order_by(users.c.name_key).limit(limit)).all():
        group_names = tx.scalars(select(groups.c.name).join(group_members, group_members.c.group_id == groups.c.id)
                                 .where(group_members.c.user_id == row.id).order_by(groups.c.name_key)).all()
        detail = {"Path": row.path, "UserName": row.name, "UserId": row.id,
                  "Arn": ids.entity_arn(row.account_id, "user", row.path, row.name), "CreateDate": row.created_at}
        inline = _inline(tx, row.id)
        if inline:
            detail["UserPolicyList"] = inline
        detail.update(GroupList=list(group_names), AttachedManagedPolicies=_attached(tx, row.id))
        if row.permissions_boundary:
            detail["PermissionsBoundary"] = boundaries.describe(row.permissions_boundary)
        detail["Tags"] = list_tags(tx, row.id)
        out.append((row.name_key, detail))
    return out


def _group_details(tx: Connection, call: Call, after: str | None, limit: int) -> list[tuple[str, dict]]:
    query = select(groups).where(groups.c.account_id == call.account_id)
    if after is not None:
        query = query.where(groups.c.name_key > after)
    return [(row.name_key, {
        "Path": row.path, "GroupName": row.name, "GroupId": row.id,
        "Arn": ids.entity_arn(row.account_id, "group", row.path, row.name), "CreateDate": row.created_at,
        "GroupPolicyList": _inline(tx, row.id), "AttachedManagedPolicies": _attached(tx, row.id),
    }) for row in tx.execute(query.order_by(groups.c.name_key).limit(limit)).all()]


def _role_details(tx: Connection, call: Call, after: str | None, limit: int) -> list[tuple[str, dict]]:
    query = select(roles).where(roles.c.account_id == call.account_id)
    if after is not None:
        query = query.where(roles.c.name_key > after)
    out = []
    for row in tx.execute(query.order_by(roles.c.name_key).limit(limit)).all():
        described = role_area.describe(row, tx=tx)
        detail = {key: described[key] for key in ("Path", "RoleName", "RoleId", "Arn", "CreateDate",
                                                  "AssumeRolePolicyDocument")}
        detail.update(InstanceProfileList=instance_profile_area.profiles_of_role(tx, row.id),
                      RolePolicyList=_inline(tx, row.id), AttachedManagedPolicies=_attached(tx, row.id))
        if row.permissions_boundary:
            detail["PermissionsBoundary"] = described["PermissionsBoundary"]
        detail.update(Tags=list_tags(tx, row.id), RoleLastUsed=described["RoleLastUsed"])
        out.append((row.name_key, detail))
    return out


def _attachment_count(tx: Connection, account_id: str, arn: str) -> int:
    return count_rows(tx, policy_attachments, policy_attachments.c.account_id == account_id,
                  policy_attachments.c.policy_arn == arn)


def _boundary_count(tx: Connection, account_id: str, arn: str) -> int:
    return (count_rows(tx, users, users.c.account_id == account_id, users.c.permissions_boundary == arn)
            + count_rows(tx, roles, roles.c.account_id == account_id, roles.c.permissions_boundary == arn))


def _version_number(version_id: str) -> int:
    return int(version_id[1:].split(".", 1)[0])


def _local_policies(tx: Connection, call: Call, after: str | None, limit: int) -> list[tuple[str, dict]]:
    query = select(managed_policies).where(managed_policies.c.account_id == call.account_id)
    if after is not None:
        query = query.where(managed_policies.c.name_key > after)
    out = []
    for row in tx.execute(query.order_by(managed_policies.c.name_key).limit(limit)).all():
        versions = sorted(tx.execute(select(policy_versions).where(policy_versions.c.policy_id == row.id)).all(),
                          key=lambda v: _version_number(v.version_id), reverse=True)
        detail = {
            "PolicyName": row.name, "PolicyId": row.id, "Arn": row.arn, "Path": row.path,
            "DefaultVersionId": row.default_version_id,
            "AttachmentCount": _attachment_count(tx, call.account_id, row.arn),
            "PermissionsBoundaryUsageCount": _boundary_count(tx, call.account_id, row.arn),
            "IsAttachable": True,
        }
        if row.description:
            detail["Description"] = row.description
        detail.update(CreateDate=row.created_at, UpdateDate=row.updated_at, PolicyVersionList=[
            {"Document": v.document, "VersionId": v.version_id,
             "IsDefaultVersion": v.version_id == row.default_version_id, "CreateDate": v.created_at}
            for v in versions])
        out.append((row.name_key, detail))
    return out


def _aws_policies(tx: Connection, call: Call, after: str | None, limit: int) -> list[tuple[str, dict]]:
    """The AWS managed policies attached to something in the account (AWS lists only those)."""
    in_use = and_(policy_attachments.c.account_id == call.account_id,
                  policy_attachments.c.policy_arn.startswith(aws_catalogue.ARN_PREFIX, autoescape=True))
    query = (select(policy_attachments.c.policy_arn, func.count().label("attachments")).where(in_use)
             .group_by(policy_attachments.c.policy_arn))
    if after is not None:
        query = query.where(policy_attachments.c.policy_arn > after)
    out = []
    for arn, attachments in tx.execute(query.order_by(policy_attachments.c.policy_arn).limit(limit)).all():
        policy = aws_catalogue.get(arn)
        if policy is None:
            continue
        version_list = []
        for version in aws_catalogue.versions(arn):
            document = aws_catalogue.document(arn, version.version_id)
            if document is None:
                continue
            entry = {"Document": document, "VersionId": version.version_id, "IsDefaultVersion": version.is_default}
            if version.create_date is not None:
                entry["CreateDate"] = version.create_date
            version_list.append(entry)
        out.append((arn, {
            "PolicyName": policy.name, "PolicyId": policy.policy_id, "Arn": arn, "Path": policy.path,
            "DefaultVersionId": policy.default_version_id, "AttachmentCount": attachments,
            "PermissionsBoundaryUsageCount": _boundary_count(tx, call.account_id, arn),
            "IsAttachable": policy.is_attachable, "CreateDate": policy.create_date,
            "UpdateDate": policy.update_date, "PolicyVersionList": version_list,
        }))
    return out


# (Filter value, output list, reader), in the order AWS lists them and pages through them.
_SECTIONS = (
    ("User", "UserDetailList", _user_details),
    ("Group", "GroupDetailList", _group_details),
    ("Role", "RoleDetailList", _role_details),
    ("LocalManagedPolicy", "Policies", _local_policies),
    ("AWSManagedPolicy", "Policies", _aws_policies),
)


def _decode_position(marker: str | None) -> tuple[int, str | None]:
    """(section index, sort key to resume after, None for the section's start) from a Marker."""
    position = decode_marker(marker)
    if position is None:
        return 0, None
    section, _, key = position.partition(":")
    if not section.isdigit() or int(section) >= len(_SECTIONS):
        raise ValidationError("Invalid Marker.")
    return int(section), key or None


def get_account_authorization_details(tx: Connection, call: Call, params: dict) -> dict:
    wanted = set(params.get("Filter") or [name for name, _, _ in _SECTIONS])
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    start, after = _decode_position(params.get("Marker"))
    result: dict = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    room = max_items
    for index, (name, output, reader) in enumerate(_SECTIONS):
        if index < start or name not in wanted:
            continue
        resume_after = after if index == start else None
        entries = reader(tx, call, resume_after, room + 1)
        if len(entries) > room:
            kept = entries[:room]
            result[output].extend(detail for _, detail in kept)
            key = kept[-1][0] if kept else (resume_after or "")
            result.update(IsTruncated=True, Marker=encode_marker(f"{index}:{key}"))
            return result
        result[output].extend(detail for _, detail in entries)
        room -= len(entries)
    result["IsTruncated"] = False
    return result


OPERATIONS = (
    iam("GetAccountAuthorizationDetails", get_account_authorization_details, any_resource, writes=False),
)
