"""IAM's Organizations operations for an account outside any organization (every account in iamd).

AWS's IAM API Reference lists OrganizationNotFoundException for ListOrganizationsFeatures,
EnableOrganizationsRootCredentialsManagement, EnableOrganizationsRootSessions and their Disable
counterparts; the exception's documentation reads "The request was rejected because no organization is
associated with your account." The shape has no error trait, so its code on the wire is the shape's
name, which is what botocore (and prowler, which catches it by that code) match.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import client, error_of

ROOT_ACCESS_OPERATIONS = [
    "list_organizations_features",
    "enable_organizations_root_credentials_management",
    "enable_organizations_root_sessions",
    "disable_organizations_root_credentials_management",
    "disable_organizations_root_sessions",
]
MESSAGE = "The request was rejected because no organization is associated with your account."


@pytest.mark.parametrize("operation", ROOT_ACCESS_OPERATIONS)
def test_no_organization(iam, operation):
    with pytest.raises(iam.exceptions.OrganizationNotFoundException) as raised:
        getattr(iam, operation)()
    assert error_of(raised) == ("OrganizationNotFoundException", MESSAGE, 400)


def test_permission_is_checked_first(server, iam, new_user):
    _, key_id, secret = new_user()
    with pytest.raises(ClientError) as raised:
        client(server, "iam", key_id, secret).list_organizations_features()
    code, message, status = error_of(raised)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:ListOrganizationsFeatures" in message


def test_organizations_access_report_has_no_jobs(iam):
    """GetOrganizationsAccessReport lists NoSuchEntity for a job it does not know (IAM API Reference)."""
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.get_organizations_access_report(JobId="00000000-0000-0000-0000-000000000000")
    assert error_of(raised) == ("NoSuchEntity", "No job found with id 00000000-0000-0000-0000-000000000000.", 404)
