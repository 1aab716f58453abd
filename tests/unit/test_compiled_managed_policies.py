"""The shared cache of compiled managed policies is keyed on (policy id, version id), never the ARN.

AWS: IAM User Guide, "IAM identifiers" › "Unique identifiers" (a policy deleted and re-created under
its name is a new policy with a new id); IAM API Reference, CreatePolicy (a new policy's default
version is v1).
"""

from __future__ import annotations

import json

from iamd.policy import PolicySet, Request, authorize
from iamd.service.policy_sets import CompiledManagedPolicies

ARN = "arn:aws:iam::123456789012:policy/P"


def allowing(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def allows(policy, action: str) -> bool:
    return authorize(Request(action=action, resource="*"), PolicySet(identity=(policy,))).allowed


def test_a_recreated_policy_with_the_same_arn_and_version_is_compiled_afresh():
    cache = CompiledManagedPolicies()
    old = cache.get("ANPAOLD", "v1", ARN, lambda: allowing("iam:ListUsers"))
    new = cache.get("ANPANEW", "v1", ARN, lambda: allowing("iam:GetGroup"))
    assert old is not new
    assert (allows(new, "iam:GetGroup"), allows(new, "iam:ListUsers")) == (True, False)
    assert cache.get("ANPAOLD", "v1", ARN, lambda: None) is old


def test_a_version_is_compiled_once_and_then_served_from_the_cache():
    cache = CompiledManagedPolicies()
    loads = []

    def load():
        loads.append(1)
        return allowing("iam:ListUsers")

    first = cache.get("ANPA1", "v2", ARN, load)
    assert cache.get("ANPA1", "v2", ARN, load) is first
    assert len(loads) == 1
