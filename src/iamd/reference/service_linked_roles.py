"""Service-linked roles as AWS creates them: role name, attached AWS managed policies, suffix rule.

Data: ``data/service_linked_roles.json``, produced by ``scripts/build_service_linked_roles.py`` from
AWS's documentation (``scripts/data/service_linked_roles_documented.tsv``, each row naming its page)
and from the role ARNs in the AWS managed-policy catalogue; the file's ``how`` says which wins.

A principal the table does not know gets the documented fallback of :func:`fallback_role_name`.
Standard library only.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import NamedTuple

__all__ = ["ServiceLinkedRole", "fallback_role_name", "lookup", "source"]

DATA = Path(__file__).resolve().parent / "data" / "service_linked_roles.json"
POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/aws-service-role/"


class ServiceLinkedRole(NamedTuple):
    principal: str
    role_name: str
    policy_arns: tuple[str, ...]
    custom_suffix: bool
    source: str


_lock = threading.Lock()
_table: dict | None = None


def _load() -> dict:
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = json.loads(DATA.read_text())
    return _table


def lookup(principal: str) -> ServiceLinkedRole | None:
    """The service-linked role AWS creates for this service principal, or None if the table lacks it.
    Principals are case-sensitive, as AWS's are."""
    row = _load()["services"].get(principal)
    if row is None:
        return None
    return ServiceLinkedRole(principal, row["role_name"], tuple(POLICY_ARN_PREFIX + name for name in row["policies"]),
                             row["custom_suffix"], row["source"])


def fallback_role_name(principal: str) -> str:
    """For a service the table does not know: ``AWSServiceRoleFor`` and the principal's words before
    ``.amazonaws.com``, each capitalised (``foo-bar.amazonaws.com`` → ``AWSServiceRoleForFooBar``),
    the pattern most of AWS's names follow."""
    head = principal.removesuffix(".amazonaws.com")
    words = [word for word in re.split(r"[^A-Za-z0-9]+", head) if word]
    return "AWSServiceRoleFor" + "".join(word[0].upper() + word[1:] for word in words)


def count() -> int:
    return len(_load()["services"])


def source() -> dict:
    """How the table was built and from which catalogue version."""
    table = _load()
    return {key: table[key] for key in ("built_by", "how", "catalogue", "counts", "conflicts")}
