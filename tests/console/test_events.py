"""The console's Event history and Access Advisor tab in a real browser, over the same audit trail
LookupEvents reads (CloudTrail console's "Event history"; IAM console's "Access Advisor" tab)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.api.server import ROOT_KEY_ID, ROOT_SECRET
from tests.console.conftest import ROOT_PASSWORD
from tests.console.test_console import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console")]


def _client(server, service, key=ROOT_KEY_ID, secret=ROOT_SECRET):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def test_event_history_and_access_advisor(page, console_server, shoot):
    iam = _client(console_server, "iam")
    iam.create_user(UserName="auditee")
    iam.put_user_policy(UserName="auditee", PolicyName="lister", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="auditee")["AccessKey"]
    theirs = _client(console_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    theirs.list_roles()
    theirs.list_roles()
    with pytest.raises(ClientError):
        theirs.list_users()  # refused: counted as such

    sign_in(page, console_server, root=False, user="nobody-by-this-name", password="typed-by-mistake")
    page.wait_for_selector("text=Your authentication information is incorrect")
    sign_in(page, console_server, root=True, password=ROOT_PASSWORD)
    page.wait_for_url("**/console/home")
    # "AWS Management Console sign-in events": ConsoleLogin, Success or Failure; an unknown name hidden.
    logins = [json.loads(e["CloudTrailEvent"]) for e in _client(console_server, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}])["Events"]]
    assert [(r["responseElements"]["ConsoleLogin"], r["userIdentity"].get("userName", r["userIdentity"]["type"]))
            for r in logins[:2]] == [("Success", "Root"), ("Failure", "HIDDEN_DUE_TO_SECURITY_REASONS")]
    assert logins[0]["eventSource"] == "signin.amazonaws.com" and logins[0]["eventType"] == "AwsConsoleSignIn"
    assert logins[1]["errorMessage"] == "Failed authentication"
    assert "typed-by-mistake" not in json.dumps(logins) and "nobody-by-this-name" not in json.dumps(logins)
    page.goto(url(console_server, "/events?key=Username&value=auditee"))
    rows = page.locator("#events-table tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").nth(0).inner_text() == "ListUsers"  # newest first
    assert rows.nth(0).locator("td").nth(6).inner_text() == "AccessDenied"
    shoot("event-history")
    rows.nth(1).locator("a").click()
    record = json.loads(page.get_by_test_id("event-record").inner_text())
    assert record["eventName"] == "ListRoles" and record["userIdentity"]["userName"] == "auditee"
    assert record["userIdentity"]["accessKeyId"] == key["AccessKeyId"]

    # A console action is an event too, marked as coming from the console.
    page.goto(url(console_server, "/users/auditee"))
    page.click("a[data-tab=advisor]")
    advisor = page.get_by_test_id("access-advisor")
    cells = [row.locator("td").all_inner_texts() for row in advisor.locator("tbody tr").all()]
    by_action = {c[1]: c for c in cells}
    assert by_action["iam:ListRoles"][3:] == ["2", "0"]
    assert by_action["iam:ListUsers"][3:] == ["1", "1"]
    shoot("access-advisor")
    console_events = _client(console_server, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetUser"}], MaxResults=5)["Events"]
    record = json.loads(console_events[0]["CloudTrailEvent"])
    assert record["sessionCredentialFromConsole"] == "true"
    assert record["userIdentity"]["type"] == "Root" and record["requestParameters"] == {"userName": "auditee"}
