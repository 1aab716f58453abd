"""A persona matrix over every served operation: the declared IAM action is what authorization asks for.

For each operation, called with every member filled (values from botocore's shapes):
- a user with no policy is refused with AccessDenied naming exactly that action;
- a user whose only policy allows exactly that action is not refused for want of it (whatever else the
  call answers: NoSuchEntity, ValidationError ...);
- where AWS evaluates additional actions (iam:PassRole for AddRoleToInstanceProfile), that user is then
  refused naming the first of them, and a user allowed the action and all of them is refused for none.
"""

from __future__ import annotations

import json

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from iamd.protocol.model import operation_model
from iamd.service.authorize import AUTHORIZED_BY_HANDLER, NEVER_DENIED
from iamd.service.operations import OPERATIONS
from tests.api.conftest import client
from tests.unit.protocol.protocol_shapegen import value_for

# Operations AWS serves unsigned (the model's auth type "none", AssumeRoleWithSAML) have no caller to
# authorize: the token they carry and the role's trust policy decide (test_saml_federation.py).
CHECKED = sorted(key for key, op in OPERATIONS.items()
                 if op.action not in NEVER_DENIED and operation_model(*key).auth_type != "none")


def _call(caller, name: str, params: dict) -> ClientError | None:
    try:
        getattr(caller, xform_name(name))(**params)
    except ClientError as error:
        return error
    return None


def _refused_for(error: ClientError | None, action: str) -> bool:
    return (error is not None and error.response["Error"]["Code"] == "AccessDenied"
            and f"perform: {action} on resource" in (error.response["Error"].get("Message") or ""))


@pytest.fixture(scope="module")
def personas(server, request):
    """(root iam client, a function making a user's clients with one policy) in a fresh account."""
    values = server.new_account()
    root = client(server, "iam", values["aws_access_key_id"], values["aws_secret_access_key"])

    def user(name: str) -> dict:
        root.create_user(UserName=name)
        key = root.create_access_key(UserName=name)["AccessKey"]
        return {service: client(server, service, key["AccessKeyId"], key["SecretAccessKey"])
                for service in ("iam", "sts")}

    def allow_only(name: str, *actions: str) -> None:
        root.put_user_policy(UserName=name, PolicyName="only", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    return user, allow_only


# Values the shapes cannot produce but a call must carry to reach authorization (checked before it);
# None drops a member.
_SESSION_POLICY = json.dumps({"Version": "2012-10-17",
                              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
OVERRIDES = {("sts", "AssumeRole"): {"RoleArn": "arn:aws:iam::123456789012:role/persona-target",
                                     "Policy": _SESSION_POLICY,
                                     "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                                     # An MFA code is checked before the trust policy, which may ask for it.
                                     "SerialNumber": None, "TokenCode": None}}


def test_every_operation_asks_for_its_declared_action(personas):
    user, allow_only = personas
    nobody, allowed_one = user("persona-nobody"), user("persona-allowed")
    failures = []
    for service, name in CHECKED:
        action = f"{service}:{name}"
        model = operation_model(service, name)
        params = value_for(model.input_shape, 1) if model.input_shape is not None else {}
        params = {**(params or {}), **OVERRIDES.get((service, name), {})}
        params = {key: value for key, value in params.items() if value is not None}
        denied = _call(nobody[service], name, params)
        if not _refused_for(denied, action):
            failures.append(f"{action}: a user with no policy got {denied and denied.response['Error']}")
        if action in AUTHORIZED_BY_HANDLER:
            continue  # the role's trust policy decides too: tested in test_assume_role.py
        allow_only("persona-allowed", action)
        allowed = _call(allowed_one[service], name, params)
        if _refused_for(allowed, action):
            failures.append(f"{action}: a user allowed {action} was refused: {allowed.response['Error']['Message']}")
        additional = [extra.action for extra in OPERATIONS[(service, name)].additional]
        if not additional:
            continue
        if not _refused_for(allowed, additional[0]):
            failures.append(f"{action}: a user allowed only {action} was not refused {additional[0]}: "
                            f"{allowed and allowed.response['Error']}")
        allow_only("persona-allowed", action, *additional)
        allowed = _call(allowed_one[service], name, params)
        for needed in (action, *additional):
            if _refused_for(allowed, needed):
                failures.append(f"{action}: a user allowed {action} and {additional} was refused {needed}")
    assert not failures, "\n".join(failures)


def test_operations_with_additional_actions():
    """The operations where AWS evaluates another action too, as their API references say."""
    declared = {op.action: [extra.action for extra in op.additional] for op in OPERATIONS.values() if op.additional}
    assert declared == {"iam:AddRoleToInstanceProfile": ["iam:PassRole"]}
