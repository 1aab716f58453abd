"""Building compiled policies and requests from the plain data of the case tables."""

import json

from iamd.policy import PolicySet, Request, parse_policy


def policy_text(spec) -> str:
    if isinstance(spec, dict):  # "version": None leaves Version out
        head = {"Version": spec["version"]} if spec["version"] else {}
        return json.dumps({**head, "Statement": spec["statements"]}, indent=2)
    return json.dumps({"Version": "2012-10-17", "Statement": spec}, indent=2)


def compile_all(specs, prefix, policy_type="IAM Policy"):
    if specs is None:
        return None
    return tuple(parse_policy(policy_text(s), f"{prefix}{i + 1}", policy_type) for i, s in enumerate(specs))


def build(case):
    policy_set = PolicySet(
        identity=compile_all(case["identity"], "identity"),
        boundary=compile_all(case.get("boundary"), "boundary"),
        session=compile_all(case.get("session"), "session"),
        resource=compile_all(case.get("resource") or [], "resource", "resource"),
        resource_alone_grants=case.get("resource_alone_grants", False),
        trust=case.get("trust", False),
    )
    r = case["request"]
    request = Request(r["action"], r["resource"], r["context"], r["principal_arn"], r["principal_account"],
                      tuple(r["principal_aliases"]))
    return request, policy_set
