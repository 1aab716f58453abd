"""Instance profiles: CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles,
DeleteInstanceProfile, AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile,
ListInstanceProfilesForRole and the profile's tags.

A profile holds at most one role. Names are unique per account ignoring case. Roles nested in a
profile are full Role shapes; the protocol layer drops MaxSessionDuration and RoleLastUsed there, as
AWS does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Row, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from iamd.errors import DeleteConflict, EntityAlreadyExists, NoSuchEntity
from iamd.security import ids
from iamd.service import resources, tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import Additional, any_resource, iam
from iamd.service.identities import roles as role_area
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.schema import instance_profile_roles, instance_profiles, roles

MAX_ROLES_PER_PROFILE = 1  # InstanceSessionsPerInstanceProfile


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Instance Profile {name} cannot be found.")


def find_profile(tx: Connection, account_id: str, name: str):
    row = tx.execute(select(instance_profiles).where(
        instance_profiles.c.account_id == account_id, instance_profiles.c.name_key == name.lower())).first()
    if row is None:
        raise not_found(name)
    return row


def profile_arn(row) -> str:
    return ids.entity_arn(row.account_id, "instance-profile", row.path, row.name)


def roles_of(tx: Connection, profile_id: str) -> Sequence[Row]:
    return tx.execute(
        select(roles).join(instance_profile_roles, instance_profile_roles.c.role_id == roles.c.id)
        .where(instance_profile_roles.c.profile_id == profile_id).order_by(roles.c.name_key)
    ).all()


def describe(tx: Connection, row, with_tags: list[dict] | None = None) -> dict:
    profile = {
        "Path": row.path,
        "InstanceProfileName": row.name,
        "InstanceProfileId": row.id,
        "Arn": profile_arn(row),
        "CreateDate": row.created_at,
        "Roles": [role_area.describe(role, tx=tx) for role in roles_of(tx, row.id)],
    }
    if with_tags is not None:
        profile["Tags"] = with_tags
    return profile


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    """The instance profile an operation acts on: its stored path, or CreateInstanceProfile's Path; with
    its row, for the handler (target_profile) and its tags (aws:ResourceTag)."""
    return resources.named_target(call, "instance-profile", params["InstanceProfileName"], params.get("Path"))


def target_profile(tx: Connection, call: Call, name: str):
    """``find_profile``, taking the row authorization found for this request when it is this profile's."""
    return targets.reuse(call, "instance-profile", name.lower()) or find_profile(tx, call.account_id, name)


def create_instance_profile(tx: Connection, call: Call, params: dict) -> dict:
    name, path = params["InstanceProfileName"], params.get("Path", "/")
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    quotas.check_account(tx, quotas.INSTANCE_PROFILES, call.account_id, instance_profiles)
    profile_id = ids.unique_id("instance-profile")
    try:
        tx.execute(insert(instance_profiles).values(
            id=profile_id, account_id=call.account_id, name=name, name_key=name.lower(), path=path,
            created_at=call.now,
        ))
    except IntegrityError:
        raise EntityAlreadyExists(f"Instance Profile {name} already exists.") from None
    if new_tags:
        tagging.put_tags(tx, profile_id, new_tags)
    row = tx.execute(select(instance_profiles).where(instance_profiles.c.id == profile_id)).one()
    return {"InstanceProfile": describe(tx, row, new_tags or None)}


def get_instance_profile(tx: Connection, call: Call, params: dict) -> dict:
    row = target_profile(tx, call, params["InstanceProfileName"])
    return {"InstanceProfile": describe(tx, row, tagging.list_tags(tx, row.id))}


def _paged_profiles(tx: Connection, query, params: dict) -> dict:
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(instance_profiles.c.name_key > after)
    rows = tx.execute(query.order_by(instance_profiles.c.name_key).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.name_key)
    return {"InstanceProfiles": [describe(tx, row) for row in rows], **paging}


def list_instance_profiles(tx: Connection, call: Call, params: dict) -> dict:
    query = select(instance_profiles).where(instance_profiles.c.account_id == call.account_id)
    prefix = params.get("PathPrefix")
    if prefix:
        query = query.where(instance_profiles.c.path.startswith(prefix, autoescape=True))
    return _paged_profiles(tx, query, params)


def list_instance_profiles_for_role(tx: Connection, call: Call, params: dict) -> dict:
    role = role_area.target_role(tx, call, params["RoleName"])
    query = (
        select(instance_profiles)
        .join(instance_profile_roles, instance_profile_roles.c.profile_id == instance_profiles.c.id)
        .where(instance_profile_roles.c.role_id == role.id)
    )
    return _paged_profiles(tx, query, params)


def delete_instance_profile(tx: Connection, call: Call, params: dict) -> None:
    row = target_profile(tx, call, params["InstanceProfileName"])
    quotas.hold_profile(tx, row, not_found(row.name))  # no role added while we check
    if tx.scalar(select(exists().where(instance_profile_roles.c.profile_id == row.id))):
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    tagging.drop_all(tx, row.id)
    tx.execute(delete(instance_profiles).where(instance_profiles.c.id == row.id))
    return None


def add_role_to_instance_profile(tx: Connection, call: Call, params: dict) -> None:
    profile = target_profile(tx, call, params["InstanceProfileName"])
    role = role_area.target_role(tx, call, params["RoleName"])
    quotas.hold_profile(tx, profile, not_found(profile.name))
    if len(roles_of(tx, profile.id)) >= MAX_ROLES_PER_PROFILE:
        raise quotas.ROLES_PER_PROFILE.exceeded()
    tx.execute(insert(instance_profile_roles).values(profile_id=profile.id, role_id=role.id))
    return None


def remove_role_from_instance_profile(tx: Connection, call: Call, params: dict) -> None:
    profile = target_profile(tx, call, params["InstanceProfileName"])
    role = role_area.target_role(tx, call, params["RoleName"])
    gone = tx.execute(delete(instance_profile_roles).where(
        instance_profile_roles.c.profile_id == profile.id, instance_profile_roles.c.role_id == role.id))
    if gone.rowcount == 0:
        raise NoSuchEntity(
            f"Role {params['RoleName']} in Instance Profile {params['InstanceProfileName']} cannot be found.")
    return None


def profiles_of_role(tx: Connection, role_id: str) -> list[dict]:
    """The InstanceProfile shapes a role belongs to (for account authorization details)."""
    rows = tx.execute(
        select(instance_profiles)
        .join(instance_profile_roles, instance_profile_roles.c.profile_id == instance_profiles.c.id)
        .where(instance_profile_roles.c.role_id == role_id).order_by(instance_profiles.c.name_key)
    ).all()
    return [describe(tx, row) for row in rows]


def passed_role(call: Call, params: dict) -> str:
    found = role_area.resource_arn(call, {"RoleName": params["RoleName"]})  # the handler reuses the row
    return found if isinstance(found, str) else found.arn


def passed_to_ec2(call: Call, params: dict) -> dict:
    """The role goes to EC2 instances: AddRoleToInstanceProfile's API reference gives the associated
    resource as ``arn:aws:ec2:*:<caller account>:instance/*`` (no Region, no instance id)."""
    return {"iam:PassedToService": "ec2.amazonaws.com",
            "iam:AssociatedResourceArn": f"arn:aws:ec2:*:{call.account_id}:instance/*"}


# "The caller of this operation must be granted the PassRole permission on the IAM role" (IAM API
# Reference, AddRoleToInstanceProfile).
PASS_ROLE = Additional("iam:PassRole", passed_role, passed_to_ec2)

_TAGS = tagging.TagHandlers(lambda tx, call, params: target_profile(tx, call, params["InstanceProfileName"]))


OPERATIONS = (
    iam("CreateInstanceProfile", create_instance_profile, resource_arn),
    iam("GetInstanceProfile", get_instance_profile, resource_arn, writes=False),
    iam("ListInstanceProfiles", list_instance_profiles, any_resource, writes=False),
    iam("ListInstanceProfilesForRole", list_instance_profiles_for_role, role_area.resource_arn, writes=False),
    iam("DeleteInstanceProfile", delete_instance_profile, resource_arn),
    iam("AddRoleToInstanceProfile", add_role_to_instance_profile, resource_arn, additional=(PASS_ROLE,)),
    iam("RemoveRoleFromInstanceProfile", remove_role_from_instance_profile, resource_arn),
    iam("TagInstanceProfile", _TAGS.tag, resource_arn),
    iam("UntagInstanceProfile", _TAGS.untag, resource_arn),
    iam("ListInstanceProfileTags", _TAGS.list, resource_arn, writes=False),
)
