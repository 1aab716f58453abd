"""The harness itself: run() authenticates as the API does and authorizes for real."""

from __future__ import annotations

import pytest

from iamd.errors import AccessDenied, InvalidClientTokenId, NoSuchEntity, ValidationError
from tests.service.conftest import ACCOUNT_ID, ROOT, Caller, allow, document


def test_root_creates_and_reads_a_user(iamd):
    created = iamd.run(ROOT, "CreateUser", {"UserName": "alice", "Path": "/staff/"})["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/staff/alice"
    assert iamd.run(ROOT, "GetUser", {"UserName": "alice"})["User"]["UserId"] == created["UserId"]


def test_a_user_without_policies_is_refused_with_awss_message(iamd):
    name, alice = iamd.user()
    iamd.run(ROOT, "CreateUser", {"UserName": "bob"})
    with pytest.raises(AccessDenied) as excinfo:
        iamd.run(alice, "GetUser", {"UserName": "bob"})
    assert excinfo.value.message == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:GetUser on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:user/bob because no identity-based policy allows the iam:GetUser action")


def test_an_inline_policy_grants(iamd):
    name, alice = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "list",
                                     "PolicyDocument": document(allow("iam:ListUsers"))})
    assert name in [user["UserName"] for user in iamd.run(alice, "ListUsers")["Users"]]


def test_params_are_checked_as_the_api_checks_them(iamd):
    with pytest.raises(ValidationError):
        iamd.run(ROOT, "CreateUser", {"UserName": "a" * 65})
    with pytest.raises(NoSuchEntity):
        iamd.run(ROOT, "GetUser", {"UserName": "nobody"})


def test_an_unknown_key_is_refused(iamd):
    with pytest.raises(InvalidClientTokenId):
        iamd.run(Caller("AKIAAAAAAAAAAAAAAAAA", "x"), "ListUsers")
