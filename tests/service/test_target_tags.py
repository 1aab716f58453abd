"""Targets of every taggable kind in process: aws:ResourceTag of an instance profile, an OIDC provider
and an MFA device read from the row the resource function found, by its unique id, so that a namesake
re-created with other tags is decided by its own (Service Authorization Reference, IAM, "Resource types
defined by IAM": aws:ResourceTag/${TagKey} on instance-profile, oidc-provider and mfa; GetInstanceProfile,
GetOpenIDConnectProvider and ListMFADeviceTags act on them). The API tests cover all eight kinds
(tests/api/test_resource_tag_conditions.py); these take a second."""

from __future__ import annotations

import pytest

from iamd.errors import AccessDenied
from tests.service.conftest import ROOT, allow, document

_KINDS = {
    "instance-profile": (
        "iam:GetInstanceProfile",
        lambda run, name, tags: run(ROOT, "CreateInstanceProfile", {"InstanceProfileName": name, "Tags": tags})[
            "InstanceProfile"]["InstanceProfileName"],
        lambda run, made: run(ROOT, "DeleteInstanceProfile", {"InstanceProfileName": made}),
        lambda run, caller, made: run(caller, "GetInstanceProfile", {"InstanceProfileName": made})),
    "oidc-provider": (
        "iam:GetOpenIDConnectProvider",
        lambda run, name, tags: run(ROOT, "CreateOpenIDConnectProvider", {
            "Url": f"https://{name}.example.com", "Tags": tags})["OpenIDConnectProviderArn"],
        lambda run, made: run(ROOT, "DeleteOpenIDConnectProvider", {"OpenIDConnectProviderArn": made}),
        lambda run, caller, made: run(caller, "GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": made})),
    "mfa": (
        "iam:ListMFADeviceTags",
        lambda run, name, tags: run(ROOT, "CreateVirtualMFADevice", {"VirtualMFADeviceName": name, "Tags": tags})[
            "VirtualMFADevice"]["SerialNumber"],
        lambda run, made: run(ROOT, "DeleteVirtualMFADevice", {"SerialNumber": made}),
        lambda run, caller, made: run(caller, "ListMFADeviceTags", {"SerialNumber": made})),
}


def _allowed(call) -> bool:
    try:
        call()
        return True
    except AccessDenied:
        return False


@pytest.mark.parametrize("kind", list(_KINDS))
def test_a_namesake_with_other_tags_is_refused(iamd, kind):
    action, make, drop, read = _KINDS[kind]
    name, caller = iamd.user()
    iamd.run(ROOT, "PutUserPolicy", {"UserName": name, "PolicyName": "by-tag", "PolicyDocument": document(
        allow(action, StringEquals={"aws:ResourceTag/team": "blue"}))})
    made = make(iamd.run, "same", [{"Key": "team", "Value": "blue"}])
    assert _allowed(lambda: read(iamd.run, caller, made))  # the caller's policy set is cached from here
    drop(iamd.run, made)
    assert make(iamd.run, "same", []) == made
    assert not _allowed(lambda: read(iamd.run, caller, made))  # untagged
    drop(iamd.run, made)
    make(iamd.run, "same", [{"Key": "team", "Value": "red"}])
    assert not _allowed(lambda: read(iamd.run, caller, made))
    iamd.run(ROOT, _TAG_OPERATION[kind], {**_KEY[kind](made), "Tags": [{"Key": "team", "Value": "blue"}]})
    assert _allowed(lambda: read(iamd.run, caller, made))  # a tag change holds at once


_TAG_OPERATION = {"instance-profile": "TagInstanceProfile", "oidc-provider": "TagOpenIDConnectProvider",
                  "mfa": "TagMFADevice"}
_KEY = {"instance-profile": lambda made: {"InstanceProfileName": made},
        "oidc-provider": lambda made: {"OpenIDConnectProviderArn": made},
        "mfa": lambda made: {"SerialNumber": made}}
