"""service.trust.decide, the trust evaluation shared by AssumeRole and the federated AssumeRoleWith*
operations, in process. Sources: IAM User Guide, "Policy evaluation logic" (role trust policies must
allow the principal explicitly) and "Cross-account policy evaluation logic"."""

import json

from iamd.policy import PolicySet, parse_policy
from iamd.service.sts.trust import Principal, decide

ROLE = "arn:aws:iam::111122223333:role/web"
PROVIDER = "arn:aws:iam::111122223333:oidc-provider/token.example.com"


def trust(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allows(principal, action="sts:AssumeRoleWithWebIdentity", **condition) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def test_a_federated_principal_is_decided_by_the_trust_alone():
    text = trust(allows({"Federated": PROVIDER}, StringEquals={"token.example.com:aud": "app"}))
    web = Principal(PROVIDER)
    assert decide(text, ROLE, "sts:AssumeRoleWithWebIdentity", web, {"token.example.com:aud": "app"}).allowed
    refused = decide(text, ROLE, "sts:AssumeRoleWithWebIdentity", web, {"token.example.com:aud": "other"})
    assert not refused.allowed and refused.denied_by == "resource"
    other = Principal("arn:aws:iam::111122223333:oidc-provider/elsewhere.example.com")
    assert not decide(text, ROLE, "sts:AssumeRoleWithWebIdentity", other, {"token.example.com:aud": "app"}).allowed


def test_an_account_trust_never_admits_a_federated_principal():
    text = trust(allows({"AWS": "111122223333"}))
    assert not decide(text, ROLE, "sts:AssumeRoleWithWebIdentity", Principal(PROVIDER), {}).allowed


def test_a_user_needs_its_identity_policy_when_only_the_account_is_named():
    text = trust(allows({"AWS": "arn:aws:iam::111122223333:root"}, "sts:AssumeRole"))
    user = "arn:aws:iam::111122223333:user/op"
    assume = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole",'
                          '"Resource":"*"}}')
    without = Principal(user, "111122223333", policies=PolicySet())
    assert decide(text, ROLE, "sts:AssumeRole", without, {}).denied_by == "identity"
    with_policy = Principal(user, "111122223333", policies=PolicySet(identity=(assume,)))
    decision = decide(text, ROLE, "sts:AssumeRole", with_policy, {})
    assert decision.allowed and decision.row == 5
    elsewhere = Principal("arn:aws:iam::444455556666:user/op", "444455556666", policies=PolicySet(identity=(assume,)))
    assert decide(text, ROLE, "sts:AssumeRole", elsewhere, {}).denied_by == "resource"
