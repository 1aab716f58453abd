"""Finding a managed policy by ARN: AWS managed ones in the reference catalogue, customer managed
ones in the account's store."""

from __future__ import annotations

import re

from sqlalchemy import Connection, exists as sql_exists, select

from iamd.reference import managed_policies as aws_catalogue
from iamd.store.schema import managed_policies

_POLICY_ARN = re.compile(r"^arn:aws:iam::(aws|\d{12}):policy(/.*)?/[^/]+$")


def is_policy_arn(arn: str) -> bool:
    return _POLICY_ARN.match(arn) is not None


def is_aws_managed(arn: str) -> bool:
    return arn.startswith("arn:aws:iam::aws:policy/")


def exists(tx: Connection, account_id: str, arn: str) -> bool:
    if is_aws_managed(arn):
        return aws_catalogue.get(arn) is not None
    return bool(tx.scalar(select(_exists_in_account(account_id, arn))))


def _exists_in_account(account_id: str, arn: str):
    return sql_exists().where(managed_policies.c.account_id == account_id, managed_policies.c.arn == arn)
