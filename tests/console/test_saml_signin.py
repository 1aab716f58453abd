"""Console sign-in through a SAML IdP, in a real browser: an IdP page made here posts its signed
SAMLResponse to iamd's /saml (as an IdP posts to https://signin.aws.amazon.com/saml), then the role
choice when several roles are offered; the console is then the role session, authorized as the role.

IAM User Guide, "Enable SAML 2.0 federated principals to access the AWS Management Console" (the IdP's
POST, the role choice, SessionDuration for the console session) and "Troubleshoot SAML 2.0 federation
with AWS" ("Your request included an invalid SAML response").
"""

from __future__ import annotations

import html
import json
import uuid

import boto3
import pytest

from tests.api.server import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET
from tests.console.test_console import url
from tests.saml_idp import IdentityProvider, encoded

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console")]


def _iam(server):
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)


@pytest.fixture(scope="module")
def federation(console_server):
    """An IdP, its provider, and two roles trusting it: Reader may list users, Auditor may list roles."""
    idp = IdentityProvider()
    iam = _iam(console_server)
    suffix = uuid.uuid4().hex[:6]
    provider = iam.create_saml_provider(Name=f"Corp-{suffix}", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
         "Condition": {"StringEquals": {"saml:aud": f"{console_server.endpoint}/saml"}}}]})
    roles = {}
    for name, action in (("Reader", "iam:ListUsers"), ("Auditor", "iam:ListRoles")):
        role_name = f"{name}-{suffix}"
        roles[name] = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        iam.put_role_policy(RoleName=role_name, PolicyName="console", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}))
    return idp, provider, roles


def post_from_idp(page, server, saml_response: str) -> None:
    """The IdP's page: a form that POSTs SAMLResponse to iamd's endpoint from another origin."""
    page.set_content(f'<form method="post" action="{server.endpoint}/saml">'
                     f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
                     '<button id="go" type="submit">Continue to iamd</button></form>')
    page.click("#go")
    page.wait_for_load_state()


def response_for(server, idp, provider, *role_arns, **args) -> str:
    recipient = f"{server.endpoint}/saml"
    return encoded(idp.response(roles=[(arn, provider) for arn in role_arns], recipient=recipient,
                                audience=recipient, **args))


def test_one_role_signs_straight_in_as_the_role_session(page, console_server, federation):
    idp, provider, roles = federation
    post_from_idp(page, console_server, response_for(console_server, idp, provider, roles["Reader"]))
    assert page.url.endswith("/console/home")
    reader = roles["Reader"].rsplit("/", 1)[1]
    assert page.inner_text("[data-testid=identity]") == f"{reader}/alice @ {ACCOUNT_ID}"
    # The pages are authorized as the role: users may be listed, roles may not.
    page.goto(url(console_server, "/users"))
    assert page.locator("[data-testid=refused]").count() == 0
    page.goto(url(console_server, "/roles"))
    assert "iam:ListRoles" in page.inner_text("[data-testid=refused]")


def test_several_roles_ask_which_one(page, console_server, federation):
    idp, provider, roles = federation
    post_from_idp(page, console_server, response_for(console_server, idp, provider, roles["Reader"],
                                                     roles["Auditor"], session_name="bob"))
    offered = page.locator("[data-testid=saml-role]")
    assert sorted(offered.nth(i).get_attribute("value") for i in range(offered.count())) == sorted(roles.values())
    assert page.inner_text("[data-testid=saml-account]") == ACCOUNT_ID
    page.check(f"input[name=role][value='{roles['Auditor']}']")
    page.click("[data-testid=saml-signin]")
    auditor = roles["Auditor"].rsplit("/", 1)[1]
    assert page.inner_text("[data-testid=identity]") == f"{auditor}/bob @ {ACCOUNT_ID}"
    page.goto(url(console_server, "/roles"))
    assert page.locator("[data-testid=refused]").count() == 0
    assert auditor in page.inner_text("main")


def test_a_replayed_or_unsigned_response_does_not_sign_in(page, console_server, federation):
    """Troubleshoot SAML: "Your request included an invalid SAML response"."""
    idp, provider, roles = federation
    saml_response = response_for(console_server, idp, provider, roles["Reader"])
    post_from_idp(page, console_server, saml_response)
    assert page.url.endswith("/console/home")
    page.context.clear_cookies()
    post_from_idp(page, console_server, saml_response)  # the same assertion again
    assert "invalid SAML response" in page.inner_text("[data-testid=saml-error]")
    post_from_idp(page, console_server, response_for(console_server, idp, provider, roles["Reader"], sign="none"))
    assert "invalid SAML response" in page.inner_text("[data-testid=saml-error]")
    page.goto(url(console_server, "/users"))
    assert "/console/signin" in page.url  # not signed in


def test_session_duration_sets_the_console_session_within_the_roles_maximum(page, console_server, federation):
    """Enable SAML 2.0 federated principals to access the AWS Management Console: SessionDuration sets
    how long the console session lasts; beyond the role's MaxSessionDuration the sign-in fails."""
    idp, provider, roles = federation
    iam = _iam(console_server)
    attributes = {"https://aws.amazon.com/SAML/Attributes/SessionDuration": "7200"}
    post_from_idp(page, console_server, response_for(console_server, idp, provider, roles["Reader"],
                                                     attributes=attributes))
    assert "exceeds the MaxSessionDuration" in page.inner_text("[data-testid=saml-error]")
    reader = roles["Reader"].rsplit("/", 1)[1]
    iam.update_role(RoleName=reader, MaxSessionDuration=7200)
    try:
        post_from_idp(page, console_server, response_for(console_server, idp, provider, roles["Reader"],
                                                         attributes=attributes))
        assert page.url.endswith("/console/home")
    finally:
        iam.update_role(RoleName=reader, MaxSessionDuration=3600)
