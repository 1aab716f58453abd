"""Every operation that acts on an IAM resource with tags finds it once, as a Target (service/targets.py).

Authorization reads aws:ResourceTag/* (and iam:ResourceTag/*) only from a Target's row, by its unique id
(service/resource_tags.py): a resource function answering a bare ARN of such a resource would leave its
tags out of every condition. Which resource types have them: the Service Authorization Reference for
IAM, "Resource types defined by AWS Identity and Access Management" (``iamd.reference.actions``: user,
role, policy, instance-profile, server-certificate, oidc-provider, saml-provider, mfa).
"""

from __future__ import annotations

from botocore.model import Shape

from iamd.protocol.model import operation_model
from iamd.security import ids
from iamd.security.principal_kind import PrincipalKind
from iamd.service.authorize import AUTHORIZED_BY_HANDLER
from iamd.service.context import Call, Principal
from iamd.service.operations import OPERATIONS
from iamd.service.resource_tags import tag_key_prefixes
from iamd.service.targets import Target
from tests.service.conftest import ACCOUNT_ID

# Parameters that name a resource by ARN or serial number, with a value of the right shape.
_ARNS = {
    "PolicyArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/p1",
    "PermissionsBoundary": f"arn:aws:iam::{ACCOUNT_ID}:policy/p1",
    "OpenIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/example.com",
    "SAMLProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/s1",
    "SerialNumber": f"arn:aws:iam::{ACCOUNT_ID}:mfa/m1",
    "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/r1",
    "PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:role/r1",
    "PolicySourceArn": f"arn:aws:iam::{ACCOUNT_ID}:user/u1",
    "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/u1",
    "EntityPath": f"arn:aws:iam::{ACCOUNT_ID}:user/u1",
    "OrganizationsPolicyId": "p-1234",
    "Url": "https://example.com",
    "AWSServiceName": "elasticbeanstalk.amazonaws.com",
}


def _value(name: str, shape: Shape) -> object:
    if name in _ARNS:
        return _ARNS[name]
    if shape.type_name == "string":
        return "n1"
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name == "boolean":
        return False
    if shape.type_name == "list":
        return []
    if shape.type_name == "structure":
        return {}
    return "n1"


def _params(service: str, name: str, with_optional: bool) -> dict:
    shape = operation_model(service, name).input_shape
    if shape is None:
        return {}
    return {member: _value(member, member_shape) for member, member_shape in shape.members.items()
            if with_optional or member in shape.required_members}


def _names_a_tagged_resource(arn: str) -> bool:
    parsed = ids.parse_arn(arn)
    # A wildcard (GetServiceLinkedRoleDeletionStatus of a task id naming no role) is no one resource.
    return parsed is not None and parsed.is_iam(ACCOUNT_ID) and bool(tag_key_prefixes(parsed.resource_type)) \
        and "*" not in parsed.resource


def test_every_resource_with_tags_is_a_target(iamd):
    with iamd.store.transaction() as tx:
        caller = Principal(kind=PrincipalKind.USER, account_id=ACCOUNT_ID, arn=f"arn:aws:iam::{ACCOUNT_ID}:user/me",
                           id="AIDAEXAMPLEEXAMPLE01", name="me", access_key_id="AKIAEXAMPLEEXAMPLE01",
                           user_id="AIDAEXAMPLEEXAMPLE01")
        bare = []
        for (service, name), operation in sorted(OPERATIONS.items()):
            if operation.action in AUTHORIZED_BY_HANDLER:  # sts:AssumeRole reads the role's tags itself
                continue
            for with_optional in (False, True):  # required members only (the caller itself), then all
                call = Call(principal=caller, now=iamd.now, request_id="r", env=iamd.env, tx=tx)
                found = operation.resource(call, _params(service, name, with_optional))
                if not isinstance(found, Target) and _names_a_tagged_resource(found):
                    bare.append((name, found))
        assert sorted(set(bare)) == [], "\n".join(f"{n} {a}" for n, a in sorted(set(bare)))
        # And the check itself sees a bare one.
        assert _names_a_tagged_resource(f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/ip")
        assert not _names_a_tagged_resource(f"arn:aws:iam::{ACCOUNT_ID}:group/g")
