"""The console in a real browser: root sign-in, the Add user wizard and its CSV, a forced password
change, assigning an MFA device and signing in with it, a page refused by the user's policies.

The main story is one test made of steps (each a function below), since each step needs the state the
previous ones built; every test signs in for itself in its own browser profile, so none depends on
another's order or worker. (The xdist group lets them share one server where pytest-xdist honours it.)
"""

from __future__ import annotations

import csv
import io
import json
import time

import httpx
import pyotp
import pytest

from iamd.service.console_sessions import FREE_FAILURES, LOCK_FAILURES
from tests.api.server import ACCOUNT_ID
from tests.console.conftest import ROOT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console")]

STATE: dict = {}
USER = "alice"
NEW_PASSWORD = "Alice-New-Passw0rd!"
# What alice may do: manage her own MFA device, see users; list policies only after an MFA sign-in.
SELF_SERVICE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"},
        {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices", "iam:GetUser",
                                       "iam:ListAccessKeys"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetAccountSummary"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:ListPolicies", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    ],
}


def url(server, path: str) -> str:
    return server.endpoint + "/console" + path


def sign_in(page, server, *, root: bool, password: str, user: str = "") -> None:
    page.goto(url(server, f"/signin/{ACCOUNT_ID}"))
    page.check("input[name=kind][value=root]" if root else "input[name=kind][value=iam]")
    if not root:
        page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit].primary")


def sign_out(page) -> None:
    page.click("header form[action='/console/signout'] button")
    page.wait_for_url("**/console/signin/**")


def step_root_signs_in_and_sees_the_dashboard(page, console_server, context, shoot):
    page.goto(url(console_server, f"/signin/{ACCOUNT_ID}"))
    shoot("signin")
    sign_in(page, console_server, root=True, password="not-the-password")
    assert "Your authentication information is incorrect" in page.inner_text("[data-testid=signin-error]")
    sign_in(page, console_server, root=True, password=ROOT_PASSWORD)
    page.wait_for_url("**/console/home")
    assert page.inner_text("[data-testid=signin-url]") == f"{console_server.endpoint}/console/signin/{ACCOUNT_ID}"
    assert "No password policy" in page.content()
    cookie = next(c for c in context.cookies() if c["name"] == "iamd-console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shoot("dashboard")


def step_policy_editor_points_at_the_line(page, console_server, context, shoot):
    page.goto(url(console_server, "/policies/create"))
    # A managed policy must say Version 2012-10-17 (aws-recorded-errors.md, CreatePolicy row 2).
    page.fill("#PolicyDocument", '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')
    page.fill("#PolicyName", "NoVersion")
    page.click("button.primary")
    assert "Policy document must be version 2012-10-17 or greater." in page.inner_text("[data-testid=policy-problems]")
    broken = ('{\n  "Version": "2012-10-17",\n  "Statement": [\n'
              '    {"Effect": "Allow", "Action": "iam:ListUsers"}\n  ]\n}')
    page.fill("#PolicyDocument", broken)
    page.fill("#PolicyName", "SelfService")
    page.click("button.primary")
    problems = page.inner_text("[data-testid=policy-problems]")
    assert "Ln 4" in problems, problems
    shoot("policy-editor")
    page.fill("#PolicyDocument", json.dumps(SELF_SERVICE, indent=2))
    page.click("button.primary")
    page.wait_for_url("**/policies/view?**")
    assert "iam:CreateVirtualMFADevice" in page.inner_text("[data-testid=policy-document]")
    shoot("policy")


def step_add_user_wizard_and_its_csv(page, console_server, context, shoot):
    page.goto(url(console_server, "/users"))
    page.click("[data-testid=add-users]")
    page.fill("#UserName-0", USER)
    page.click("[data-add-user-row]")
    page.fill("#UserName-1", "bad name!")
    page.check("input[name=access_key]")
    page.click("button[value=next]")
    assert "userName" in page.inner_text("[data-error-for='UserName-1']")  # AWS's ValidationError, by the field
    shoot("add-user-details")
    page.fill("#UserName-1", "bob")
    page.click("button[value=next]")
    page.check("input[name=mode][value=attach]")
    page.fill("#q", "SelfService")
    page.click("button[value=search]")
    page.check("input[name=PolicyArn][value$=':policy/SelfService']")
    shoot("add-user-permissions")
    page.click("button[value=next]")
    page.fill("input[name=TagKey] >> nth=0", "team")
    page.fill("input[name=TagValue] >> nth=0", "console")
    page.click("button[value=next]")
    review = page.inner_text("[data-testid=review]")
    assert "alice, bob" in review and "IAMUserChangePassword" in review
    shoot("add-user-review")
    page.click("button[value=create]")
    page.wait_for_selector("[data-testid=wizard-success]")
    shoot("add-user-success")
    with page.expect_download() as download_info:
        page.click("[data-testid=download-csv]")
    rows = list(csv.reader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    assert rows[0] == ["User name", "Password", "Access key ID", "Secret access key", "Console login link"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"alice", "bob"}
    assert by_name["alice"][2].startswith("AKIA") and len(by_name["alice"][3]) == 40
    assert by_name["alice"][4] == f"{console_server.endpoint}/console/signin/{ACCOUNT_ID}"
    STATE["password"] = by_name["alice"][1]
    page.goto(url(console_server, f"/users/{USER}"))
    assert "SelfService" in page.content() and "IAMUserChangePassword" in page.content()
    shoot("user")
    page.goto(url(console_server, "/users"))
    shoot("users")
    page.goto(url(console_server, "/credential-report"))
    page.click("form[action='/console/credential-report'] button")
    with page.expect_download() as report_info:
        page.click("a[href$='/credential-report/download']")
    report = open(report_info.value.path(), encoding="utf-8").read()
    assert report.startswith("user,arn,") and "alice" in report
    for name, path in [("groups", "/groups"), ("policies", "/policies"), ("account-settings", "/account-settings")]:
        page.goto(url(console_server, path))
        shoot(name, full_page=name != "policies")


def step_new_user_must_change_the_password(page, console_server, context, shoot):
    sign_out(page)
    sign_in(page, console_server, root=False, user=USER, password=STATE["password"])
    page.wait_for_url("**/signin/continue")
    assert "Must be at least 8 characters long." in page.inner_text("[data-testid=password-rules]")
    page.fill("#old_password", STATE["password"])
    page.fill("#new_password", "short")
    page.fill("#confirm", "short")
    page.click("button.primary")
    assert "minimum length of 8" in page.inner_text("[data-error-for=new_password]")
    shoot("change-password")
    page.fill("#old_password", STATE["password"])
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/console/home")
    assert USER in page.inner_text("[data-testid=identity]")


def step_a_page_the_policies_do_not_allow_is_refused(page, console_server, context, shoot):
    page.goto(url(console_server, "/groups"))
    assert page.inner_text("[data-testid=refused-action]") == "iam:ListGroups"
    assert "is not authorized to perform: iam:ListGroups" in page.inner_text("[data-testid=refused-message]")
    shoot("refused")
    page.goto(url(console_server, "/policies"))  # allowed only after an MFA sign-in
    assert page.inner_text("[data-testid=refused-action]") == "iam:ListPolicies"


def step_assign_an_mfa_device(page, console_server, context, shoot):
    page.goto(url(console_server, "/security-credentials"))
    page.click("[data-testid=assign-own-mfa]")
    page.click("button.primary")
    secret = page.inner_text("[data-testid=mfa-secret]").strip()
    shoot("assign-mfa")
    totp = pyotp.TOTP(secret)
    now = time.time()
    page.fill("#AuthenticationCode1", totp.at(now - 30))
    page.fill("#AuthenticationCode2", totp.at(now))
    page.click("[data-testid=add-mfa]")
    page.wait_for_url("**/security-credentials")
    assert "MFA device assigned" in page.content()
    STATE["totp"] = totp


def step_sign_in_with_mfa_opens_what_mfa_allows(page, console_server, context, shoot):
    sign_out(page)
    sign_in(page, console_server, root=False, user=USER, password=NEW_PASSWORD)
    page.wait_for_url("**/signin/continue")
    page.fill("#code", "000000")
    page.click("button.primary")
    assert "incorrect" in page.inner_text("[data-error-for=code]")
    shoot("signin-mfa")
    page.fill("#code", STATE["totp"].at(time.time() + 30))  # the enabling pair used the current step
    page.click("button.primary")
    page.wait_for_url("**/console/home")
    page.goto(url(console_server, "/policies"))
    assert page.locator("[data-testid=refused]").count() == 0
    assert "SelfService" in page.content()


def test_the_whole_story(page, console_server, context, shoot):
    """Root creates a policy and users; alice changes her password, is refused, adds MFA, signs in with it."""
    for step in (step_root_signs_in_and_sees_the_dashboard, step_policy_editor_points_at_the_line,
                 step_add_user_wizard_and_its_csv, step_new_user_must_change_the_password,
                 step_a_page_the_policies_do_not_allow_is_refused, step_assign_an_mfa_device,
                 step_sign_in_with_mfa_opens_what_mfa_allows):
        step(page, console_server, context, shoot)


def test_forms_without_the_csrf_token_are_refused(page, console_server, context):
    sign_in(page, console_server, root=True, password=ROOT_PASSWORD)
    page.wait_for_url("**/console/home")
    cookie = next(c for c in context.cookies() if c["name"] == "iamd-console")
    answer = httpx.post(url(console_server, "/account-settings"), data={"action": "alias", "AccountAlias": "x"},
                        cookies={"iamd-console": cookie["value"]})
    assert answer.status_code == 403


def test_repeated_failures_slow_down_sign_in(page, console_server):
    # After FREE_FAILURES attempts each must wait 1, 2, 4 ... seconds; an attempt that takes the browser
    # longer than that wait is counted, not refused, and the LOCK_FAILURES-th counted attempt locks the
    # sign-in: so whatever the machine's speed, a refusal comes by attempt LOCK_FAILURES + 1.
    messages: list[str] = []
    for _ in range(LOCK_FAILURES + 1):
        sign_in(page, console_server, root=False, user="mallory", password="wrong-password")
        messages.append(page.inner_text("[data-testid=signin-error]"))
        if "Try again in" in messages[-1]:
            break
    assert messages[0].startswith("Your authentication information is incorrect")
    assert len(messages) > FREE_FAILURES
    assert "Try again in" in messages[-1]
