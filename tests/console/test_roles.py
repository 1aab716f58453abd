"""The console's roles and inline policies in a real browser, checked through boto3 against the same server.

One scenario of steps, as in test_console.py: root creates a role for another account (with an external
ID) through Create role, adds an inline policy to a group (a deliberate error first: shown at its line),
edits the role's trust policy, gives the role an inline policy, and deletes the role: refused with AWS's
DeleteConflict text until its policies are gone. Then a role with a custom trust policy; a service-linked
role is shown read-only.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.api.server import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET
from tests.console.conftest import ROOT_PASSWORD
from tests.console.test_console import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console")]

ROLE = "PartnerAuditor"
PARTNER = "111122223333"
GROUP = "Auditors"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# Line 4 has no Resource: the editor must say so at line 4.
BROKEN = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObject"}\n  ]\n}'
REPORTS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::audit-reports", "arn:aws:s3:::audit-reports/*"]}]}


def _iam(server):
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)


def _trust(external_id: str, mfa: bool = False) -> dict:
    condition: dict = {"StringEquals": {"sts:ExternalId": external_id}}
    if mfa:
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "sts:AssumeRole",
         "Condition": condition}]}


def step_create_a_role_for_another_account(page, server, iam, shoot):
    page.goto(url(server, "/roles"))
    page.click("[data-testid=create-role]")
    page.check("input[name=entity][value=account]")
    page.check("input[name=account][value=other]")
    page.fill("#account_id", "1111")
    page.check("input[name=require_external_id]")
    page.fill("#external_id", "Example-Corp-42")
    page.click("button[value=next]")
    assert "12-digit" in page.inner_text("[data-error-for=account_id]")
    page.fill("#account_id", PARTNER)
    page.click("button[value=next]")
    page.fill("#q", "ReadOnlyAccess")
    page.click("button[value=search]")
    page.check(f"input[name=PolicyArn][value='{READ_ONLY}']")
    page.click("button[value=next]")
    page.fill("#RoleName", ROLE)
    page.fill("#Description", "Read-only access for the partner's auditors")
    page.select_option("#MaxSessionDuration", "7200")
    page.fill("input[name=TagKey] >> nth=0", "team")
    page.fill("input[name=TagValue] >> nth=0", "audit")
    review = page.inner_text("[data-testid=review]")
    assert "sts:ExternalId" in review and f"arn:aws:iam::{PARTNER}:root" in review and "ReadOnlyAccess" in review
    shoot("role-create")
    page.click("button[value=create]")
    page.wait_for_url(f"**/console/roles/{ROLE}")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"] == _trust("Example-Corp-42")
    assert role["MaxSessionDuration"] == 7200 and role["Description"].startswith("Read-only access")
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [READ_ONLY]
    assert iam.list_role_tags(RoleName=ROLE)["Tags"] == [{"Key": "team", "Value": "audit"}]
    page.goto(url(server, "/roles"))
    assert f"Account: {PARTNER}" in page.inner_text("#roles-table")


def step_inline_policy_on_a_group(page, server, iam, shoot):
    iam.create_group(GroupName=GROUP)
    page.goto(url(server, f"/groups/{GROUP}"))
    page.click("[data-testid=create-inline-policy]")
    page.fill("#PolicyDocument", BROKEN)
    page.fill("#PolicyName", "ReadReports")
    page.click("button.primary")
    problems = page.inner_text("[data-testid=policy-problems]")
    assert problems.startswith("Ln 4"), problems
    assert page.inner_text(".editor .gutter .bad") == "4"
    shoot("inline-policy")
    page.fill("#PolicyDocument", json.dumps(REPORTS, indent=2))
    page.click("button.primary")
    page.wait_for_url(f"**/console/groups/{GROUP}")
    got = iam.get_group_policy(GroupName=GROUP, PolicyName="ReadReports")
    assert got["PolicyDocument"] == REPORTS
    page.click("a[href$='/inline-policy?policy=ReadReports']")  # Edit: the same editor, the name fixed
    assert page.get_attribute("#PolicyName", "readonly") is not None
    assert "audit-reports" in page.input_value("#PolicyDocument")
    edited = {**REPORTS, "Statement": [{**REPORTS["Statement"][0], "Action": "s3:GetObject"}]}
    page.fill("#PolicyDocument", json.dumps(edited, indent=2))
    page.click("button.primary")
    page.wait_for_url(f"**/console/groups/{GROUP}")
    assert iam.get_group_policy(GroupName=GROUP, PolicyName="ReadReports")["PolicyDocument"] == edited
    page.click("[data-testid=create-inline-policy]")  # over the group's 5,120 characters: AWS's LimitExceeded
    huge = {**REPORTS, "Statement": [{**REPORTS["Statement"][0],
                                      "Resource": [f"arn:aws:s3:::audit-reports-{n:04d}/*" for n in range(200)]}]}
    page.fill("#PolicyDocument", json.dumps(huge, indent=2))
    page.fill("#PolicyName", "TooBig")
    page.click("button.primary")
    assert page.inner_text("[data-error-for=PolicyDocument]") == (
        f"Maximum policy size of 5120 bytes exceeded for group {GROUP}")
    assert iam.list_group_policies(GroupName=GROUP)["PolicyNames"] == ["ReadReports"]


def step_edit_the_trust_policy(page, server, iam, shoot):
    page.goto(url(server, f"/roles/{ROLE}#trust"))
    page.click("[data-testid=edit-trust]")
    no_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    page.fill("#PolicyDocument", json.dumps(no_principal, indent=2))
    page.click("button.primary")
    assert page.inner_text("[data-testid=policy-problems]").startswith("Ln ")
    page.fill("#PolicyDocument", json.dumps(_trust("Example-Corp-43", mfa=True), indent=2))
    page.click("button.primary")
    page.wait_for_url(f"**/console/roles/{ROLE}*")
    assert "Example-Corp-43" in page.inner_text("[data-testid=trust-policy]")
    assert iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"] == _trust("Example-Corp-43", mfa=True)


def step_delete_the_role_after_its_policies(page, server, iam, shoot):
    page.goto(url(server, f"/roles/{ROLE}"))
    page.click("[data-testid=create-inline-policy]")
    page.fill("#PolicyDocument", json.dumps(REPORTS, indent=2))
    page.fill("#PolicyName", "ReadReports")
    page.click("button.primary")
    page.wait_for_url(f"**/console/roles/{ROLE}*")
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == ["ReadReports"]
    page.click("form:has(input[name=action][value=delete]) button")
    assert page.inner_text("[data-testid=delete-error]") == "Cannot delete entity, must detach all policies first."
    page.click("form:has(input[name=action][value=detach]) button")
    page.click("form:has(input[name=action][value=delete]) button")
    assert page.inner_text("[data-testid=delete-error]") == "Cannot delete entity, must delete policies first."
    page.click("form:has(input[name=action][value=delete-inline]) button")
    page.click("form:has(input[name=action][value=delete]) button")
    page.wait_for_url("**/console/roles")
    assert f"The role {ROLE} was deleted." in page.content()
    with pytest.raises(ClientError) as refused:
        iam.get_role(RoleName=ROLE)
    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"


def step_create_a_role_with_a_custom_trust_policy(page, server, iam, shoot):
    page.goto(url(server, "/roles/create"))
    page.check("input[name=entity][value=custom]")
    page.click("button[value=next]")  # AWS's template has an empty Principal: refused at its line
    assert page.inner_text("[data-testid=policy-problems]").startswith("Ln ")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    page.fill("#TrustPolicy", json.dumps(trust, indent=2))
    page.click("button[value=next]")
    page.click("button[value=next]")
    page.fill("#RoleName", "ReportBuilder")
    page.click("button[value=create]")
    page.wait_for_url("**/console/roles/ReportBuilder")
    assert iam.get_role(RoleName="ReportBuilder")["Role"]["AssumeRolePolicyDocument"] == trust


def step_a_service_linked_role_is_read_only(page, server, iam, shoot):
    name = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]["RoleName"]
    page.goto(url(server, f"/roles/{name}"))
    assert "service-linked role" in page.inner_text("[data-testid=service-linked]")
    assert page.locator("[data-testid=edit-trust]").count() == 0
    assert page.locator("form:has(input[name=action][value=delete])").count() == 0
    page.fill("#Description", "Scaling, described by hand")
    page.click("[data-testid=edit-role] button")
    page.wait_for_url(f"**/console/roles/{name}")
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "Scaling, described by hand"


def test_roles_and_inline_policies(page, console_server, context, shoot):
    page.on("dialog", lambda dialog: dialog.accept())  # the console's "Delete …?" confirmations
    iam = _iam(console_server)
    sign_in(page, console_server, root=True, password=ROOT_PASSWORD)
    page.wait_for_url("**/console/home")
    assert ACCOUNT_ID in page.inner_text("[data-testid=identity]")
    for step in (step_create_a_role_for_another_account, step_inline_policy_on_a_group, step_edit_the_trust_policy,
                 step_delete_the_role_after_its_policies, step_create_a_role_with_a_custom_trust_policy,
                 step_a_service_linked_role_is_read_only):
        step(page, console_server, iam, shoot)
