"""Choosing managed policies by search, shared by the Add user wizard, users, groups and roles."""

from __future__ import annotations

from iamd.web.console.base import Api

SHOWN = 40


def search_policies(api: Api, query: str, scope: str = "All") -> tuple[list[dict], int]:
    """Attachable policies whose name contains ``query`` (the exact name first, then customer managed, then
    AWS managed): (shown, total found)."""
    wanted = query.strip().lower()
    found = [p for p in api.all_pages("ListPolicies", {"Scope": scope, "MaxItems": 1000}, "Policies")
             if p.get("IsAttachable", True) and wanted in p["PolicyName"].lower()]
    found.sort(key=lambda p: (p["PolicyName"].lower() != wanted, p["Arn"].startswith("arn:aws:iam::aws:"),
                              p["PolicyName"].lower()))
    return found[:SHOWN], len(found)


def policy_kind(arn: str) -> str:
    return "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "Customer managed"
