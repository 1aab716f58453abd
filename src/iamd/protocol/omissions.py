"""Members of an output shape that AWS leaves out in some operations, though the model allows them.

The service layer may hand the encoder a full entity (a role with its tags, last use and session
duration); the encoder drops what AWS does not show for that operation, as recorded from real AWS
responses (the team's record of them, "Response shapes worth noticing"; docs/compatibility.md). A path
is member names joined by dots from the operation's output shape; list elements and map values are transparent, so
``Roles.Tags`` is the Tags of every role in the Roles list.
"""

from __future__ import annotations

from typing import TypeAlias

# A member name -> the omissions below it; {} at a leaf: the member itself is left out.
OmissionTree: TypeAlias = "dict[str, OmissionTree]"

_NESTED_ROLE = ("Roles.MaxSessionDuration", "Roles.RoleLastUsed")

OMITTED: dict[str, tuple[str, ...]] = {
    "CreateRole": ("Role.MaxSessionDuration", "Role.RoleLastUsed", "Role.Description"),
    "ListRoles": ("Roles.RoleLastUsed", "Roles.Tags", "Roles.PermissionsBoundary"),
    "ListUsers": ("Users.Tags",),
    "CreatePolicy": ("Policy.Description",),
    "ListPolicies": ("Policies.Description", "Policies.Tags"),
    "CreateInstanceProfile": tuple("InstanceProfile." + p for p in _NESTED_ROLE),
    "GetInstanceProfile": tuple("InstanceProfile." + p for p in _NESTED_ROLE),
    "ListInstanceProfiles": tuple("InstanceProfiles." + p for p in _NESTED_ROLE),
    "ListInstanceProfilesForRole": tuple("InstanceProfiles." + p for p in _NESTED_ROLE),
    "GetAccountAuthorizationDetails": tuple("RoleDetailList.InstanceProfileList." + p for p in _NESTED_ROLE),
}


def omission_tree(operation_name: str) -> OmissionTree:
    """The operation's omitted paths as a nested dict: {"Role": {"Description": {}}}; a leaf is {}."""
    tree: OmissionTree = {}
    for path in OMITTED.get(operation_name, ()):
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree
