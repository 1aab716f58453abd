"""Your own services' actions: definitions registered through the authorization API and `iamd service`, in
the Service Authorization Reference's shape (prefix, actions with access level and resource types, ARN
formats, condition keys), granted and denied by policies like AWS's own."""

from __future__ import annotations

import json
import uuid

import pytest

from iamd.client import AuthorizationApiError, AuthorizationClient
from tests.api.conftest import ACCOUNT_ID, client
from tests.api.server import ROOT_KEY_ID, ROOT_SECRET


def definition(prefix: str, *actions: str) -> dict:
    return {
        "ServicePrefix": prefix, "Name": "Orders",
        "Actions": [{"Name": name, "AccessLevel": "Read" if name.startswith("Get") else "Write",
                     "ResourceTypes": [{"Name": "order", "Required": True}],
                     "ConditionKeys": [f"{prefix}:Channel"]} for name in actions],
        "ResourceTypes": [{"Name": "order",
                           "ARNFormat": f"arn:${{Partition}}:{prefix}:${{Region}}:${{Account}}:order/${{OrderId}}"}],
        "ConditionKeys": [{"Name": f"{prefix}:Channel", "Type": "String"}],
    }


@pytest.fixture
def prefix():
    return f"orders-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def root_api(server):
    with AuthorizationClient(server.endpoint, ROOT_KEY_ID, ROOT_SECRET) as api:
        yield api


@pytest.fixture
def clerk(server, unique):
    """A user allowed GetOrder on its orders, not CancelOrder; its ARN."""
    def make(prefix: str) -> str:
        iam = client(server, "iam")
        name = unique("clerk")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="orders", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": f"{prefix}:Get*",
                 "Resource": f"arn:aws:{prefix}:us-east-1:{ACCOUNT_ID}:order/*",
                 "Condition": {"StringEquals": {f"{prefix}:Channel": "web"}}}]}))
        return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    return make


def test_a_registered_service_is_listed_and_its_actions_granted_and_denied(server, root_api, prefix, clerk):
    registered = root_api.register_service(definition(prefix, "GetOrder", "CancelOrder"))
    assert registered["ServicePrefix"] == prefix and registered["OwnerAccountId"] == ACCOUNT_ID
    assert registered["ServiceArn"] == f"arn:aws:iamd:::service/{prefix}"
    assert root_api.get_service(prefix)["Actions"][0]["Name"] == "GetOrder"
    assert prefix in [s["ServicePrefix"] for s in root_api.list_services()]
    arn = clerk(prefix)
    order = f"arn:aws:{prefix}:us-east-1:{ACCOUNT_ID}:order/o-1"
    answer = root_api.authorize(arn, [f"{prefix}:GetOrder", f"{prefix}:CancelOrder"], [order],
                                context={f"{prefix}:Channel": "web"})
    get, cancel = answer["Results"]
    assert get["Allowed"] is True and cancel["Decision"] == "implicitDeny"
    wrong_channel = root_api.authorize(arn, [f"{prefix}:GetOrder"], [order], context={f"{prefix}:Channel": "phone"})
    assert wrong_channel["Results"][0]["Allowed"] is False
    # An action the definition does not declare is a mistake of the caller, named as such.
    with pytest.raises(AuthorizationApiError) as typo:
        root_api.authorize(arn, [f"{prefix}:GetOrdr"], [order])
    assert typo.value.code == "InvalidInput" and f"{prefix}:GetOrdr" in typo.value.message


def test_reregistered_with_other_actions_the_old_ones_are_gone(server, root_api, prefix, clerk):
    arn = clerk(prefix)
    order = f"arn:aws:{prefix}:us-east-1:{ACCOUNT_ID}:order/o-1"
    root_api.register_service(definition(prefix, "GetOrder"))
    assert root_api.authorize(arn, [f"{prefix}:GetOrder"], [order],
                              context={f"{prefix}:Channel": "web"})["Results"][0]["Allowed"] is True
    root_api.deregister_service(prefix)
    with pytest.raises(AuthorizationApiError) as gone:
        root_api.get_service(prefix)
    assert gone.value.code == "ResourceNotFoundException"
    root_api.register_service(definition(prefix, "GetInvoice"))
    with pytest.raises(AuthorizationApiError) as unknown:
        root_api.authorize(arn, [f"{prefix}:GetOrder"], [order])
    assert unknown.value.code == "InvalidInput"
    answer = root_api.authorize(arn, [f"{prefix}:GetInvoice"], [order], context={f"{prefix}:Channel": "web"})
    assert answer["Results"][0]["Allowed"] is True
    assert [a["Name"] for a in root_api.get_service(prefix)["Actions"]] == ["GetInvoice"]


def test_only_the_owner_account_replaces_a_definition(server, root_api, prefix, new_account):
    root_api.register_service(definition(prefix, "GetOrder"))
    other = new_account()
    with AuthorizationClient(server.endpoint, other["aws_access_key_id"], other["aws_secret_access_key"]) as theirs:
        with pytest.raises(AuthorizationApiError) as taken:
            theirs.register_service(definition(prefix, "Steal"))
        with pytest.raises(AuthorizationApiError) as kept:
            theirs.deregister_service(prefix)
    assert taken.value.code == "ConflictException" and taken.value.status == 409
    assert kept.value.code == "AccessDeniedException"
    assert [a["Name"] for a in root_api.get_service(prefix)["Actions"]] == ["GetOrder"]
    # Changes are in the audit trail, refused ones too (CloudTrail's LookupEvents at the same endpoint).
    trail = client(server, "cloudtrail")
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                    "AttributeValue": "RegisterService"}])["Events"]
    mine = [json.loads(e["CloudTrailEvent"]) for e in events if prefix in e["CloudTrailEvent"]]
    assert [e["eventSource"] for e in mine] == ["iamd.amazonaws.com"]
    assert mine[0]["requestParameters"]["definition"]["servicePrefix"] == prefix
    theirs_trail = client(server, "cloudtrail", other["aws_access_key_id"], other["aws_secret_access_key"])
    refused = theirs_trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                            "AttributeValue": "RegisterService"}])["Events"]
    assert [json.loads(e["CloudTrailEvent"])["errorCode"] for e in refused] == ["EntityAlreadyExists"]


def test_bad_definitions_get_every_problem(server, root_api):
    bad = {"ServicePrefix": "s3", "Actions": [{"Name": "Get Order", "AccessLevel": "Reading",
                                               "ResourceTypes": [{"Name": "nothing"}]}], "Extra": 1}
    with pytest.raises(AuthorizationApiError) as refused:
        root_api.register_service(bad)
    message = refused.value.message
    assert refused.value.code == "ValidationException" and refused.value.status == 400
    for expected in ("Unknown field 'Extra'", "ServicePrefix 's3' is an AWS service's", "Actions[0].Name",
                     "Actions[0].AccessLevel must be one of", "Actions[0].ResourceTypes[0] must name"):
        assert expected in message


def test_registration_needs_iamds_own_permission(server, prefix, new_user):
    _, key_id, secret = new_user()
    with AuthorizationClient(server.endpoint, key_id, secret) as api:
        with pytest.raises(AuthorizationApiError) as refused:
            api.register_service(definition(prefix, "GetOrder"))
    assert refused.value.code == "AccessDeniedException"
    assert f"iamd:RegisterService on resource: arn:aws:iamd:::service/{prefix}" in refused.value.message


def test_the_simulator_sees_a_registered_action(server, root_api, prefix, clerk):
    root_api.register_service(definition(prefix, "GetOrder"))
    arn = clerk(prefix)
    iam = client(server, "iam")
    result = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=[f"{prefix}:GetOrder"],
        ResourceArns=[f"arn:aws:{prefix}:us-east-1:{ACCOUNT_ID}:order/o-1"],
        ContextEntries=[{"ContextKeyName": f"{prefix}:Channel", "ContextKeyValues": ["web"],
                         "ContextKeyType": "string"}])["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"


def test_iamd_service_register_from_the_cli(server, root_api, prefix, tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(definition(prefix, "GetOrder", "ListOrders")))
    done = server.cli("service", "register", str(path))
    assert done.returncode == 0, done.stderr
    assert f"registered {prefix}: 2 actions" in done.stdout
    described = root_api.get_service(prefix)
    assert described["OwnerAccountId"] is None and len(described["Actions"]) == 2
    listed = server.cli("service", "list")
    assert prefix in listed.stdout and "operator" in listed.stdout
    # The operator's definition is not an account's to replace.
    with pytest.raises(AuthorizationApiError) as taken:
        root_api.register_service(definition(prefix, "Other"))
    assert taken.value.code == "ConflictException"
    broken = tmp_path / "broken.json"
    broken.write_text('{"ServicePrefix": "x",\n  "Actions": [}')
    done = server.cli("service", "register", str(broken))
    assert done.returncode == 1 and f"{broken}:2:" in done.stderr and "not valid JSON" in done.stderr
    broken.write_text(json.dumps({"ServicePrefix": "iamd", "Actions": []}))
    done = server.cli("service", "register", str(broken))
    assert done.returncode == 1 and "iamd's own" in done.stderr and "Actions must be a non-empty list" in done.stderr
    assert server.cli("service", "deregister", prefix).returncode == 0
    assert server.cli("service", "describe", prefix).returncode == 1


def test_the_console_policy_editor_offers_and_checks_registered_actions(tmp_path, prefix, database_url):
    """The editor's two requests as its script makes them (console.js setupEditor): the actions offered,
    and a warning for an action the registered definition does not declare (as AWS's editor warns)."""
    import re

    import httpx

    from tests.api.server import standard_server

    server = standard_server(tmp_path, database_url)
    server.env_extra["IAMD_ROOT_PASSWORD"] = "Root-Console-Passw0rd!"
    server.start()
    try:
        with AuthorizationClient(server.endpoint, ROOT_KEY_ID, ROOT_SECRET) as api:
            api.register_service(definition(prefix, "GetOrder"))
        with httpx.Client(base_url=server.endpoint + "/console", follow_redirects=True, timeout=30) as browser:
            form = browser.get(f"/signin/{ACCOUNT_ID}").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            signed_in = browser.post(f"/signin/{ACCOUNT_ID}", data={
                "csrf_token": csrf, "kind": "root", "password": "Root-Console-Passw0rd!"})
            assert signed_in.url.path == "/console/home"
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/policies/create").text).group(1)
            offered = browser.get("/policies/actions").json()["actions"]
            assert f"{prefix}:GetOrder" in offered and "iamd:VerifySignature" in offered
            document = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": [f"{prefix}:GetOrder", f"{prefix}:GetOrdr", "s3:GetObject"],
                 "Resource": "*"}]}, indent=2)
            checked = browser.post("/policies/validate", data={"csrf_token": csrf, "document": document}).json()
        assert checked["problems"] == []
        assert checked["warnings"] == [{
            "message": f"Action {prefix}:GetOrdr is not an action of the registered service {prefix}.",
            "line": 8, "column": 9}]
    finally:
        server.stop()
