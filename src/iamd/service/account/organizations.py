"""IAM's operations for AWS Organizations, answered as AWS answers an account outside any organization.

iamd has no Organizations: every account is standalone. AWS's API reference lists
OrganizationNotFoundException for ListOrganizationsFeatures and the Enable/Disable operations of
centralized root access ("The request was rejected because no organization is associated with your
account."), and security scanners call ListOrganizationsFeatures on every run expecting exactly that.
The caller's permission is checked first, as for every operation.

GetOrganizationsAccessReport finds no job, since none can be generated here.
"""

from __future__ import annotations

from sqlalchemy import Connection

from iamd.errors import NoSuchEntity, OrganizationNotFound
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam

NO_ORGANIZATION = "The request was rejected because no organization is associated with your account."


def _no_organization(tx: Connection, call: Call, params: dict) -> dict:
    raise OrganizationNotFound(NO_ORGANIZATION)


def get_organizations_access_report(tx: Connection, call: Call, params: dict) -> dict:
    raise NoSuchEntity(f"No job found with id {params['JobId']}.")


OPERATIONS = (
    iam("ListOrganizationsFeatures", _no_organization, any_resource, writes=False),
    iam("EnableOrganizationsRootCredentialsManagement", _no_organization, any_resource, writes=False),
    iam("EnableOrganizationsRootSessions", _no_organization, any_resource, writes=False),
    iam("DisableOrganizationsRootCredentialsManagement", _no_organization, any_resource, writes=False),
    iam("DisableOrganizationsRootSessions", _no_organization, any_resource, writes=False),
    iam("GetOrganizationsAccessReport", get_organizations_access_report, any_resource, writes=False),
)
