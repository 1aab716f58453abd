"""The account's credential report: GenerateCredentialReport, GetCredentialReport.

The report is a CSV, one row for the account's root user (``<root_account>``, first) and one per IAM
user (by name), with the columns of AWS's report in AWS's order (``COLUMNS``). Values are written as AWS
writes them: ``true``/``false``; times in ISO 8601 to the second with ``+00:00``; ``N/A`` where a thing
does not exist (no password, no such access key, a key never used, certificates); ``no_information``
for a password never used; ``not_supported`` for the root user's password fields that IAM does not
report.

AWS builds the report asynchronously; iamd builds it at once, inside GenerateCredentialReport, and keeps
it four hours: within that time GenerateCredentialReport answers COMPLETE and leaves it alone, after it
GenerateCredentialReport builds a new one and GetCredentialReport answers ReportExpired. The first
call in an account answers STARTED with AWS's description, as AWS does.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select

from iamd.errors import ReportExpired, ReportNotPresent
from iamd.security import ids
from iamd.service.account.password_policy import load_policy
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.store.schema import (
    access_keys,
    accounts,
    credential_reports,
    login_profiles,
    mfa_devices,
    signing_certificates,
    users,
)

REPORT_LIFETIME = timedelta(hours=4)
REPORT_FORMAT = "text/csv"
STARTED_FIRST = "No report exists. Starting a new report generation task"
ROOT = "<root_account>"
NA, NO_INFORMATION, NOT_SUPPORTED = "N/A", "no_information", "not_supported"

_KEY_COLUMNS = ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")
COLUMNS: tuple[str, ...] = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    *(f"access_key_{n}_{column}" for n in (1, 2) for column in _KEY_COLUMNS),
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)


def iso(when: datetime | None, missing: str = NA) -> str:
    """``2024-01-02T03:04:05+00:00``, as the report writes times."""
    if when is None:
        return missing
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_fields(keys: list) -> list[str]:
    """The ten access-key columns for a user's keys (oldest first; at most two)."""
    fields: list[str] = []
    for n in range(2):
        if n < len(keys):
            key = keys[n]
            used = key.last_used_at is not None
            fields += [
                _flag(key.status == "Active"),
                iso(key.created_at),
                iso(key.last_used_at),
                (key.last_used_region or NA) if used else NA,
                (key.last_used_service or NA) if used else NA,
            ]
        else:
            fields += ["false", NA, NA, NA, NA]
    return fields


def _certificate_fields(certificates: list) -> list[str]:
    """The four signing-certificate columns (oldest first; at most two)."""
    fields: list[str] = []
    for n in range(2):
        if n < len(certificates):
            fields += [_flag(certificates[n].status == "Active"), iso(certificates[n].uploaded_at)]
        else:
            fields += ["false", NA]
    return fields


def _certificates_by_owner(tx: Connection, account_id: str) -> dict[str | None, list]:
    rows = tx.execute(select(signing_certificates).where(signing_certificates.c.account_id == account_id)
                      .order_by(signing_certificates.c.uploaded_at, signing_certificates.c.id)).all()
    owners: dict[str | None, list] = {}
    for row in rows:
        owners.setdefault(row.user_id, []).append(row)
    return owners


def _keys_by_owner(tx: Connection, account_id: str) -> dict[str | None, list]:
    rows = tx.execute(select(access_keys).where(access_keys.c.account_id == account_id)
                      .order_by(access_keys.c.created_at, access_keys.c.id)).all()
    owners: dict[str | None, list] = {}
    for row in rows:
        owners.setdefault(row.user_id, []).append(row)
    return owners


def build_report(tx: Connection, account_id: str) -> str:
    """The report's CSV text for the account as it is now (pending last-use records must be flushed)."""
    account = tx.execute(select(accounts).where(accounts.c.id == account_id)).one()
    policy = load_policy(tx, account_id)
    max_age = timedelta(days=policy.max_password_age) if policy is not None and policy.max_password_age else None
    keys = _keys_by_owner(tx, account_id)
    certificates = _certificates_by_owner(tx, account_id)
    with_mfa = set(tx.scalars(select(mfa_devices.c.user_id).where(
        mfa_devices.c.account_id == account_id, mfa_devices.c.user_id.is_not(None))).all())
    profiles = {row.user_id: row for row in tx.execute(
        select(login_profiles).join(users, users.c.id == login_profiles.c.user_id)
        .where(users.c.account_id == account_id))}

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow([
        ROOT, ids.root_arn(account_id), iso(account.created_at),
        NOT_SUPPORTED, NO_INFORMATION, NOT_SUPPORTED, NOT_SUPPORTED, "false",
        *_key_fields(keys.get(None, [])), *_certificate_fields(certificates.get(None, [])),
    ])
    for user in tx.execute(select(users).where(users.c.account_id == account_id).order_by(users.c.name_key)):
        profile = profiles.get(user.id)
        if profile is None:
            password = ["false", NA, NA, NA]
        else:
            rotation = iso(profile.password_changed_at + max_age) if max_age is not None else NA
            password = ["true", iso(user.password_last_used, NO_INFORMATION), iso(profile.password_changed_at),
                        rotation]
        writer.writerow([
            user.name, ids.entity_arn(account_id, "user", user.path, user.name), iso(user.created_at),
            *password, _flag(user.id in with_mfa),
            *_key_fields(keys.get(user.id, [])), *_certificate_fields(certificates.get(user.id, [])),
        ])
    return out.getvalue().rstrip("\n")


def _stored(tx: Connection, account_id: str):
    return tx.execute(select(credential_reports).where(credential_reports.c.account_id == account_id)).first()


def generate_credential_report(tx: Connection, call: Call, params: dict) -> dict:
    stored = _stored(tx, call.account_id)
    if stored is not None and call.now - stored.generated_at < REPORT_LIFETIME:
        return {"State": "COMPLETE"}
    call.env.last_used.flush(tx)
    content = build_report(tx, call.account_id).encode("utf-8")
    if stored is not None:
        tx.execute(delete(credential_reports).where(credential_reports.c.account_id == call.account_id))
    tx.execute(insert(credential_reports).values(account_id=call.account_id, generated_at=call.now, content=content))
    if stored is None:
        return {"State": "STARTED", "Description": STARTED_FIRST}
    return {"State": "STARTED"}


def get_credential_report(tx: Connection, call: Call, params: dict) -> dict:
    stored = _stored(tx, call.account_id)
    if stored is None:
        raise ReportNotPresent(None)
    if call.now - stored.generated_at >= REPORT_LIFETIME:
        raise ReportExpired(None)
    return {"Content": bytes(stored.content), "ReportFormat": REPORT_FORMAT, "GeneratedTime": stored.generated_at}


OPERATIONS = (
    iam("GenerateCredentialReport", generate_credential_report, any_resource, changes_access=False),
    iam("GetCredentialReport", get_credential_report, any_resource, writes=False),
)
