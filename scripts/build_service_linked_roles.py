#!/usr/bin/env python3
"""Build the table of service-linked roles shipped in ``iamd.reference``.

Writes ``src/iamd/reference/data/service_linked_roles.json``: for each service principal the role
name AWS gives its service-linked role, the AWS managed policies (under ``aws-service-role/``) AWS
attaches, whether CustomSuffix is accepted, and where the row came from.

Two sources, merged in this order (the first that knows a principal wins; where the catalogue names a
documented principal's role otherwise, the output's ``conflicts`` lists it):

1. ``scripts/data/service_linked_roles_documented.tsv``: rows written from AWS's documentation (each
   service's "Using service-linked roles" page, the AWS Managed Policy Reference) and from recorded
   AWS responses; every row names its source.
2. The AWS managed-policy catalogue iamd ships (``iamd.reference.managed_policies``): policy
   documents name service-linked roles by ARN, ``role/aws-service-role/<principal>/<RoleName>``
   (usually where they allow ``iam:CreateServiceLinkedRole``). Each such ARN gives a principal its
   role name; a trailing ``*`` (room for a suffix) is dropped, ``_*`` marks a service whose roles
   take a suffix, and names that are only wildcards are ignored. The role's policy is linked only
   when AWS's naming leaves one candidate in ``aws-service-role/``: the role name itself or with
   ``Policy`` appended, or ``<Name>`` followed by ``ServiceRolePolicy``, ``ServiceLinkedRolePolicy``,
   ``ServicePolicy``, ``RolePolicy`` or ``Policy``, with ``<Name>`` the role name after
   ``AWSServiceRoleFor`` (with or without an ``AWS``/``Amazon`` prefix).

Usage::

    python scripts/build_service_linked_roles.py

Standard library plus iamd itself; the output is reproducible from the same inputs.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from iamd.reference import managed_policies as catalogue  # noqa: E402

DOCUMENTED = REPO / "scripts" / "data" / "service_linked_roles_documented.tsv"
OUT = REPO / "src" / "iamd" / "reference" / "data" / "service_linked_roles.json"
SLR_PATH = "/aws-service-role/"
ROLE_ARN = re.compile(r"role/aws-service-role/([a-z0-9][a-z0-9.\-]*\.amazonaws\.com)/([A-Za-z0-9_+=,.@\-]*\*?)")
PREFIX = "AWSServiceRoleFor"


def documented() -> dict[str, dict]:
    rows = {}
    for line in DOCUMENTED.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        principal, role, policies, suffix, source = line.split("\t")
        if suffix not in ("yes", "no"):
            raise SystemExit(f"{principal}: custom suffix must be yes or no, not {suffix!r}")
        rows[principal] = {"role_name": role, "policies": policies.split(",") if policies else [],
                           "custom_suffix": suffix == "yes", "source": source}
    return rows


def slr_policy_names() -> set[str]:
    return {policy.name for policy in catalogue.list_policies(SLR_PATH)}


def names_in_catalogue() -> dict[str, set[str]]:
    """principal → the role names policy documents give its service-linked roles (wildcards kept)."""
    found: dict[str, set[str]] = {}
    for policy in catalogue.list_policies():
        for principal, name in ROLE_ARN.findall(catalogue.document(policy.arn) or ""):
            found.setdefault(principal, set()).add(name)
    return found


def choose(names: set[str]) -> tuple[str, bool] | None:
    """(role name, takes a suffix) from a principal's names: the shortest without wildcards."""
    suffix = any(name.endswith("_*") for name in names)
    plain = {name.removesuffix("_*").removesuffix("*") for name in names}
    plain = {name for name in plain if name.startswith(PREFIX) and "*" not in name and "?" not in name}
    if not plain:
        return None
    return min(plain, key=lambda name: (len(name), name)), suffix


def policy_for(role: str, policies: set[str]) -> str | None:
    stem = role.removeprefix(PREFIX)
    stems = {stem, stem.removeprefix("AWS"), stem.removeprefix("Amazon"), "AWS" + stem, "Amazon" + stem}
    tails = ("ServiceRolePolicy", "ServiceLinkedRolePolicy", "ServicePolicy", "RolePolicy", "Policy")
    candidates = {role, role + "Policy"} | {s + tail for s in stems for tail in tails}
    hits = sorted(candidates & policies)
    return hits[0] if len(hits) == 1 else None


def build() -> dict:
    policies = slr_policy_names()
    services = documented()
    for principal, row in services.items():
        missing = [name for name in row["policies"] if name not in policies]
        if missing:
            raise SystemExit(f"{principal}: not in the catalogue's aws-service-role/ policies: {missing}")
    derived = 0
    conflicts = []  # documented rows whose name the catalogue's role ARNs give otherwise: kept, listed
    for principal, names in sorted(names_in_catalogue().items()):
        if principal in services:
            chosen = choose(names)
            if chosen is not None and chosen[0] != services[principal]["role_name"]:
                conflicts.append({"principal": principal, "documented": services[principal]["role_name"],
                                  "catalogue": sorted(names)})
            continue
        chosen = choose(names)
        if chosen is None:
            continue
        role, suffix = chosen
        policy = policy_for(role, policies)
        services[principal] = {
            "role_name": role, "policies": [policy] if policy else [], "custom_suffix": suffix,
            "source": "managed-policy catalogue: role ARN in AWS managed policy documents"
                      + ("; policy by AWS's naming" if policy else "")}
        derived += 1
    return {
        "format": 1,
        "built_by": "scripts/build_service_linked_roles.py",
        "how": __doc__.split("Usage::")[0].strip(),
        "catalogue": catalogue.source(),
        "counts": {"services": len(services), "from_documentation": len(services) - derived,
                   "from_catalogue": derived},
        "conflicts": conflicts,
        "services": dict(sorted(services.items())),
    }


def main() -> None:
    table = build()
    OUT.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {table['counts']}")


if __name__ == "__main__":
    main()
