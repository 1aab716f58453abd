"""service/decide.py: the gateway's and the authorization API's one decision, against a real SQLite store.

The rules pinned here are AWS's, from the IAM User Guide: "Policy evaluation logic" and "How AWS
enforcement code logic evaluates requests to allow or deny access" (same account: a resource-based
policy naming a user or a role session grants alone, beyond the boundary and session policies; one
naming the role is limited by them; KMS key policies must allow even within the account), "Cross-account
policy evaluation logic" (both sides must allow) and "How IAM roles differ from resource-based policies".
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import SessionClaims
from iamd.service.account.accounts import create_account
from iamd.service.authorize import Authorizer, denial_message, record_change
from iamd.service.context import ANONYMOUS, Call, Environment, Principal
from iamd.service.decide import decide
from iamd.service.identities import roles, users
from iamd.service.policies import inline_policies
from iamd.store import migrate
from iamd.store.database import Store
from iamd.store.schema import accounts
from tests.api.conftest import BACKENDS, PG_URL
from tests.api.server import PostgresDatabase

A, B = "111111111111", "222222222222"
BUCKET = "arn:aws:s3:::shared"
OBJECT = BUCKET + "/report.csv"
BOUNDARY_IAM_ONLY = "arn:aws:iam::aws:policy/IAMFullAccess"  # allows iam:* and nothing of S3
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}]})


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action="s3:GetObject", resource=OBJECT, **more) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action="s3:GetObject", resource=OBJECT, **more) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


class World:
    """Two accounts in a fresh store; principals made by iamd's own handlers, called as the root user."""

    def __init__(self, store: Store):
        self.store = store
        self.box = SecretBox(os.urandom(32))
        self.authorizer = Authorizer()
        self.env = Environment(secrets=self.box, last_used=None, authorizer=self.authorizer)
        with store.transaction() as tx:
            for account in (A, B):
                create_account(tx, self.box, datetime.now(UTC), account_id=account)

    def _epoch(self, tx, account: str) -> int:
        return tx.scalar(select(accounts.c.auth_epoch).where(accounts.c.id == account))

    def as_root(self, account: str, handler, params: dict):
        with self.store.transaction() as tx:
            principal = Principal(kind=PrincipalKind.ROOT, account_id=account, arn=ids.root_arn(account), id=account,
                                  name=account, access_key_id="")
            result = handler(tx, self.call(tx, principal), params)
            record_change(tx, account)
            return result

    def call(self, tx, principal: Principal, session: dict | None = None, **more) -> Call:
        epoch = self._epoch(tx, principal.account_id) if principal.account_id else 0
        # What service/authenticate.py makes of a sealed token: the claims, in their typed form.
        claims = None if session is None else SessionClaims.from_wire(
            {"id": principal.id, "n": principal.name, "arn": principal.arn, **session})
        return Call(principal=principal, now=datetime.now(UTC), request_id="test", env=self.env,
                    auth_epoch=epoch, session=claims, source_ip="192.0.2.7", **more)

    def user(self, account: str, name: str, policy: str | None = None, boundary: str | None = None) -> Principal:
        created = self.as_root(account, users.create_user, {"UserName": name})["User"]
        if policy is not None:
            self.as_root(account, inline_policies.put_user_policy,
                         {"UserName": name, "PolicyName": "p", "PolicyDocument": policy})
        if boundary is not None:
            self.as_root(account, users.put_user_permissions_boundary,
                         {"UserName": name, "PermissionsBoundary": boundary})
        return Principal(kind=PrincipalKind.USER, account_id=account, arn=created["Arn"], id=created["UserId"],
                         name=name, access_key_id="AKIA" + name.upper(), user_id=created["UserId"])

    def role_session(self, account: str, name: str, policy: str | None = None, boundary: str | None = None,
                     session_policy: str | None = None) -> tuple[Principal, dict]:
        params = {"RoleName": name, "AssumeRolePolicyDocument": TRUST}
        if boundary is not None:
            params["PermissionsBoundary"] = boundary
        role = self.as_root(account, roles.create_role, params)["Role"]
        if policy is not None:
            self.as_root(account, inline_policies.put_role_policy,
                         {"RoleName": name, "PolicyName": "p", "PolicyDocument": policy})
        # What service/authenticate.py makes of a role session's sealed token.
        session = {"a": account, "k": "assumed-role", "rid": role["RoleId"], "rn": name, "p": "/",
                   "sp": [session_policy] if session_policy else []}
        principal = Principal(kind=PrincipalKind.ASSUMED_ROLE, account_id=account,
                              arn=f"arn:aws:sts::{account}:assumed-role/{name}/s1", id=f"{role['RoleId']}:s1",
                              name="s1", access_key_id="ASIA" + name.upper())
        return principal, session

    def decide(self, principal: Principal, action="s3:GetObject", resource=OBJECT, context=None,
               policy: str | None = None, owner: str | None = A, session: dict | None = None, explain=True):
        with self.store.transaction(write=False) as tx:
            call = self.call(tx, principal, session)
            return decide(tx, self.authorizer, call, action, resource, context or {}, policy, owner, explain=explain)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """One store per backend for the module (every test uses principals of its own names)."""
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
        store = Store.open(database.url)
    else:
        store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('decide') / 'iamd.db'}")
    migrate.upgrade(store)
    yield World(store)
    store.dispose()
    if database is not None:
        database.drop()


def test_same_account_identity_policy_alone_grants(world):
    alice = world.user(A, "alice", document(allow()))
    decision = world.decide(alice)
    assert decision.allowed and decision.row == 2
    assert [(m.part, m.policy_type) for m in decision.matched] == [("identity", "IAM Policy")]


def test_same_account_resource_policy_naming_the_user_grants_without_identity_policy_or_within_boundary(world):
    bob = world.user(A, "bob", boundary=BOUNDARY_IAM_ONLY)
    policy = document(allow(Principal={"AWS": bob.arn}, Sid="Bob"))
    decision = world.decide(bob, policy=policy)
    assert decision.allowed
    assert [(m.sid, m.part, m.policy_type) for m in decision.matched] == [("Bob", "resource", "Resource Policy")]
    # Without the bucket policy, neither the (absent) identity policy nor the boundary allows.
    refused = world.decide(bob)
    assert not refused.allowed and refused.denied_by == "identity"
    assert denial_message(bob.arn, "s3:GetObject", OBJECT, refused).endswith(
        "because no identity-based policy allows the s3:GetObject action")


def test_a_resource_policy_naming_the_account_delegates_to_identity_policies(world):
    carol = world.user(A, "carol")
    policy = document(allow(Principal={"AWS": f"arn:aws:iam::{A}:root"}))
    assert world.decide(carol, policy=policy).denied_by == "identity"
    dave = world.user(A, "dave", document(allow()))
    assert world.decide(dave, policy=policy).allowed


def test_role_arn_in_resource_policy_is_limited_by_boundary_and_session_policy_session_arn_is_not(world):
    # IAM User Guide, "How AWS enforcement code logic evaluates requests": a resource-based policy
    # granting the role ARN is limited by an implicit deny in the boundary or the session policy; one
    # granting the role session ARN is not.
    session_principal, session = world.role_session(A, "app")
    naming_role = document(allow(Principal={"AWS": f"arn:aws:iam::{A}:role/app"}))
    assert world.decide(session_principal, policy=naming_role, session=session).allowed  # no identity allow needed

    bounded, bounded_session = world.role_session(A, "bounded", boundary=BOUNDARY_IAM_ONLY)
    to_role = document(allow(Principal={"AWS": f"arn:aws:iam::{A}:role/bounded"}))
    refused = world.decide(bounded, policy=to_role, session=bounded_session)
    assert not refused.allowed and refused.denied_by == "boundary"
    to_session = document(allow(Principal={"AWS": bounded.arn}))
    assert world.decide(bounded, policy=to_session, session=bounded_session).allowed

    narrowed, narrowed_session = world.role_session(A, "narrowed", policy=document(allow()),
                                                    session_policy=document(allow("sqs:*", "*")))
    to_narrowed_role = document(allow(Principal={"AWS": f"arn:aws:iam::{A}:role/narrowed"}))
    refused = world.decide(narrowed, policy=to_narrowed_role, session=narrowed_session)
    assert not refused.allowed and refused.denied_by == "session"
    assert world.decide(narrowed, policy=document(allow(Principal={"AWS": narrowed.arn})),
                        session=narrowed_session).allowed


def test_federated_user_session_arn_grants_alone_the_users_arn_within_the_session_policy(world):
    # GetFederationToken sessions: a resource policy naming the federated-user session ARN is not limited
    # by the session policy; one naming the IAM user behind it is (IAM User Guide, "Session policies").
    olga = world.user(A, "olga", document(allow("s3:*", "*")))
    session = {"a": A, "k": "federated-user", "uid": olga.user_id, "sp": [document(allow("sqs:*", "*"))]}
    federated = Principal(kind=PrincipalKind.FEDERATED_USER, account_id=A,
                          arn=f"arn:aws:sts::{A}:federated-user/olga-app", id=f"{A}:olga-app",
                          name="olga-app", access_key_id="ASIAOLGA")
    refused = world.decide(federated, session=session)
    assert not refused.allowed and refused.denied_by == "session"
    naming_user = document(allow(Principal={"AWS": olga.arn}))
    refused = world.decide(federated, session=session, policy=naming_user)
    assert not refused.allowed and refused.denied_by == "session"
    naming_session = document(allow(Principal={"AWS": federated.arn}, Sid="Fed"))
    allowed = world.decide(federated, session=session, policy=naming_session)
    assert allowed.allowed and [m.sid for m in allowed.matched] == ["Fed"]


def test_cross_account_needs_both_identity_and_resource_policy(world):
    erin = world.user(B, "erin")
    naming_erin = document(allow(Principal={"AWS": erin.arn}))
    refused = world.decide(erin, policy=naming_erin, owner=A)
    assert not refused.allowed and refused.denied_by == "identity" and refused.row == 4

    frank = world.user(B, "frank", document(allow()))
    refused = world.decide(frank, policy=None, owner=A)  # no bucket policy: no way in from another account
    assert not refused.allowed and refused.denied_by == "resource"
    assert denial_message(frank.arn, "s3:GetObject", OBJECT, refused).endswith(
        "because no resource-based policy allows the s3:GetObject action")
    assert not world.decide(frank, policy=naming_erin, owner=A).allowed
    naming_account_b = document(allow(Principal={"AWS": B}, Sid="B"))
    allowed = world.decide(frank, policy=naming_account_b, owner=A)
    assert allowed.allowed and {m.part for m in allowed.matched} == {"identity", "resource"}


def test_cross_account_grant_is_capped_by_the_callers_boundary(world):
    grace = world.user(B, "grace", document(allow("s3:*", "*")), boundary=BOUNDARY_IAM_ONLY)
    refused = world.decide(grace, policy=document(allow(Principal={"AWS": grace.arn})), owner=A)
    assert not refused.allowed and refused.denied_by == "boundary"


def test_explicit_deny_anywhere_wins(world):
    heidi = world.user(A, "heidi", document(allow("s3:*", "*")))
    in_resource = document(allow(Principal="*"), deny(Principal={"AWS": heidi.arn}, Sid="NoHeidi"))
    refused = world.decide(heidi, policy=in_resource)
    assert refused.decision == "explicitDeny" and refused.denied_by == "resource"
    assert [m.sid for m in refused.matched] == ["NoHeidi"]
    assert denial_message(heidi.arn, "s3:GetObject", OBJECT, refused).endswith(
        "with an explicit deny in a resource-based policy")

    ivan = world.user(A, "ivan", document(deny()))
    refused = world.decide(ivan, policy=document(allow(Principal={"AWS": ivan.arn})))
    assert refused.decision == "explicitDeny" and refused.denied_by == "identity"


def test_anonymous_only_through_a_policy_naming_everyone(world):
    public = document(allow(Principal="*"))
    assert world.decide(ANONYMOUS, policy=public, owner=A).allowed
    assert world.decide(ANONYMOUS, policy=document(allow(Principal={"AWS": "*"})), owner=A).allowed
    assert not world.decide(ANONYMOUS, policy=document(allow(Principal={"AWS": A})), owner=A).allowed
    assert not world.decide(ANONYMOUS, policy=None, owner=A).allowed
    assert not world.decide(ANONYMOUS, policy=None, owner=None).allowed
    # Conditions see the connection's keys.
    from_net = document(allow(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    assert world.decide(ANONYMOUS, policy=from_net, owner=A).allowed
    elsewhere = document(allow(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}))
    assert not world.decide(ANONYMOUS, policy=elsewhere, owner=A).allowed


def test_root_user_has_its_accounts_permissions_but_not_past_a_deny_or_across_accounts(world):
    root = Principal(kind=PrincipalKind.ROOT, account_id=A, arn=ids.root_arn(A), id=A, name=A, access_key_id="")
    assert world.decide(root).allowed
    refused = world.decide(root, policy=document(deny(Principal="*")))
    assert refused.decision == "explicitDeny"
    other_root = Principal(kind=PrincipalKind.ROOT, account_id=B, arn=ids.root_arn(B), id=B, name=B, access_key_id="")
    assert not world.decide(other_root, owner=A).allowed
    assert world.decide(other_root, owner=A, policy=document(allow(Principal={"AWS": B}))).allowed


def test_kms_key_policy_must_allow_even_in_the_same_account(world):
    key = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    judy = world.user(A, "judy", document(allow("kms:Decrypt", "*")))
    root_only = document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                          "Action": "kms:*", "Resource": "*"})
    assert world.decide(judy, "kms:Decrypt", key, policy=root_only).allowed  # the account delegates to IAM
    someone_else = document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/mallory"},
                             "Action": "kms:*", "Resource": "*"})
    refused = world.decide(judy, "kms:Decrypt", key, policy=someone_else)
    assert not refused.allowed and refused.denied_by == "resource"  # an S3 bucket policy would not refuse
    # The same shape for a bucket: the identity policy alone is enough in the same account.
    judy_s3 = world.user(A, "judy-s3", document(allow()))
    assert world.decide(judy_s3, policy=someone_else.replace("kms:*", "s3:*")).allowed
    kim = world.user(A, "kim")
    naming_kim = document({"Effect": "Allow", "Principal": {"AWS": kim.arn}, "Action": "kms:Decrypt", "Resource": "*"})
    assert world.decide(kim, "kms:Decrypt", key, policy=naming_kim).allowed
    # Not even the account's root user uses a key whose policy does not let it (AWS KMS Developer
    # Guide, "Key policies in AWS KMS"); with no policy read, the default one (naming the account) holds.
    root = Principal(kind=PrincipalKind.ROOT, account_id=A, arn=ids.root_arn(A), id=A, name=A, access_key_id="")
    assert not world.decide(root, "kms:Decrypt", key, policy=someone_else).allowed
    assert world.decide(root, "kms:Decrypt", key, policy=root_only).allowed


def test_given_context_is_evaluated_but_cannot_pose_as_another_principal(world):
    leo = world.user(A, "leo")
    policy = document(allow("s3:ListBucket", BUCKET, Principal="*",
                            Condition={"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/admin",
                                                        "s3:prefix": "home/"}}))
    posing = {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/admin", "s3:prefix": "home/"}
    assert not world.decide(leo, "s3:ListBucket", BUCKET, posing, policy=policy).allowed
    honest = document(allow("s3:ListBucket", BUCKET, Principal="*",
                            Condition={"StringEquals": {"aws:PrincipalArn": leo.arn, "s3:prefix": "home/"}}))
    assert world.decide(leo, "s3:ListBucket", BUCKET, {"s3:prefix": "home/"}, policy=honest).allowed
    assert not world.decide(leo, "s3:ListBucket", BUCKET, {"s3:prefix": "other/"}, policy=honest).allowed
    owner_key = document(allow(Principal="*", Condition={"StringEquals": {"aws:ResourceAccount": A}}))
    assert world.decide(leo, policy=owner_key).allowed


def test_a_deleted_role_sessions_are_no_one(world):
    session_principal, session = world.role_session(A, "gone", policy=document(allow()))
    naming_session = document(allow(Principal={"AWS": session_principal.arn}))
    assert world.decide(session_principal, session=session, policy=naming_session).allowed
    world.as_root(A, inline_policies.delete_role_policy, {"RoleName": "gone", "PolicyName": "p"})
    world.as_root(A, roles.delete_role, {"RoleName": "gone"})
    world.role_session(A, "gone", policy=document(allow()))  # a namesake: not the session's role
    assert not world.decide(session_principal, session=session, policy=naming_session).allowed


def test_an_unreadable_resource_policy_refuses(world):
    mia = world.user(A, "mia", document(allow()))
    refused = world.decide(mia, policy='{"Statement": "not a policy"}')
    assert not refused.allowed and refused.denied_by == "resource"


def test_enforcement_mode_reaches_the_same_decisions(world):
    nina = world.user(A, "nina", document(allow("s3:*", "*")))
    policy = document(allow(Principal={"AWS": nina.arn}), deny("s3:PutObject", Principal="*"))
    assert world.decide(nina, policy=policy, explain=False).allowed
    refused = world.decide(nina, "s3:PutObject", policy=policy, explain=False)
    assert refused.decision == "explicitDeny" and refused.denied_by == "resource"


def test_the_normalised_request_shared_across_calls_follows_a_user_deleted_and_recreated(world):
    """decide.py _asked: a request's normalised context is made once per caller and context content,
    across calls. A user deleted and re-created under its name with other tags is another userid and
    other aws:PrincipalTag values: never the old request; a context with a list value is not shared."""
    from iamd.service import decide as decide_module

    def tagged_user(team: str, policy: str | None) -> Principal:
        created = world.as_root(A, users.create_user, {"UserName": "omar", "Tags": [{"Key": "team", "Value": team}]})
        if policy is not None:
            world.as_root(A, inline_policies.put_user_policy,
                          {"UserName": "omar", "PolicyName": "p", "PolicyDocument": policy})
        user = created["User"]
        return Principal(kind=PrincipalKind.USER, account_id=A, arn=user["Arn"], id=user["UserId"], name="omar",
                         access_key_id="AKIAOMAR", user_id=user["UserId"])

    def remove(with_policy: bool) -> None:
        if with_policy:
            world.as_root(A, inline_policies.delete_user_policy, {"UserName": "omar", "PolicyName": "p"})
        world.as_root(A, users.delete_user, {"UserName": "omar"})

    red_only = document(allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}))
    omar = tagged_user("red", red_only)
    assert world.decide(omar).allowed and world.decide(omar).allowed  # the second may reuse the first's request
    shared = [request for key, request in decide_module._ASKED.items()
              if omar.arn in key and ("aws:userid", omar.id) in key]
    assert shared and all(dict(request.context)["aws:PrincipalTag/team"] == "red" for request in shared)
    remove(True)
    omar_blue = tagged_user("blue", red_only)  # same name and ARN, another id and tag
    assert omar_blue.arn == omar.arn and omar_blue.id != omar.id
    assert not world.decide(omar_blue).allowed
    remove(True)
    omar_red = tagged_user("red", None)  # the old tag back, no policy
    assert not world.decide(omar_red).allowed
    world.as_root(A, inline_policies.put_user_policy,
                  {"UserName": "omar", "PolicyName": "p", "PolicyDocument": red_only})
    assert world.decide(omar_red).allowed
    listed = document(allow(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}))
    world.as_root(A, inline_policies.put_user_policy, {"UserName": "omar", "PolicyName": "p", "PolicyDocument": listed})
    assert world.decide(omar_red, context={"aws:TagKeys": ["cost"]}).allowed
    assert not world.decide(omar_red, context={"aws:TagKeys": ["team"]}).allowed


def test_a_context_value_that_is_not_text_is_never_shared_with_its_text(world):
    """decide.py _asked keeps contexts of strings only: True and 1 are one dict key but "true" and "1"."""
    pia = world.user(A, "pia", document(allow(Condition={"StringEquals": {"s3:flag": "true"}})))
    assert world.decide(pia, context={"s3:flag": True}).allowed
    assert not world.decide(pia, context={"s3:flag": 1}).allowed
    assert world.decide(pia, context={"s3:flag": "true"}).allowed
