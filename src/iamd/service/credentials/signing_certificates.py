"""X.509 signing certificates: UploadSigningCertificate, ListSigningCertificates,
UpdateSigningCertificate, DeleteSigningCertificate.

A certificate belongs to a user, or to the account's root user (``user_id`` NULL). Without a
UserName an operation acts on the caller's own certificates, as in AWS. At most two per user; one
certificate once per account.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, insert, select, update

from iamd.errors import DuplicateCertificate, MalformedCertificate, NoSuchEntity
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.schema import signing_certificates

if TYPE_CHECKING:
    from cryptography import x509

MAX_CERTIFICATES_PER_USER = quotas.SIGNING_CERTIFICATES.limit
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

DUPLICATE = "The request was rejected because the same certificate is associated with an IAM user in the account."


def parse_certificate(body: str) -> x509.Certificate:
    """The PEM certificate in ``body``, or AWS's MalformedCertificate that echoes it."""
    from cryptography import x509  # here: cryptography's x509 is not on the way to a server's first answer

    try:
        return x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
    except (ValueError, TypeError):
        raise MalformedCertificate(f"Certificate {body} is malformed.") from None


def _certificates_of(account_id: str, user_id: str | None):
    table = signing_certificates
    owner = table.c.user_id.is_(None) if user_id is None else table.c.user_id == user_id
    return (table.c.account_id == account_id) & owner


def _describe(row, user_name: str) -> dict:
    return {"UserName": user_name, "CertificateId": row.id, "CertificateBody": row.body, "Status": row.status,
            "UploadDate": row.uploaded_at}


def _der(body: str) -> bytes:
    from cryptography import x509

    return _der_of(x509.load_pem_x509_certificate(body.strip().encode("latin-1")))


def _der_of(certificate: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return certificate.public_bytes(Encoding.DER)


def upload_signing_certificate(tx: Connection, call: Call, params: dict) -> dict:
    user_id, user_name = users.credential_owner(tx, call, params)
    body = params["CertificateBody"]
    der = _der_of(parse_certificate(body))
    # Duplicates are refused account-wide, so the account's row is the one to hold (store/locks.py).
    quotas.hold_account(tx, call.account_id)
    in_account = tx.execute(select(signing_certificates.c.body).where(
        signing_certificates.c.account_id == call.account_id)).scalars().all()
    if any(_der(other) == der for other in in_account):
        raise DuplicateCertificate(DUPLICATE)
    quotas.check(tx, quotas.SIGNING_CERTIFICATES, signing_certificates, _certificates_of(call.account_id, user_id))
    certificate_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))
    tx.execute(insert(signing_certificates).values(id=certificate_id, account_id=call.account_id, user_id=user_id,
                                                   body=body, status="Active", uploaded_at=call.now))
    return {"Certificate": {"UserName": user_name, "CertificateId": certificate_id, "CertificateBody": body,
                            "Status": "Active", "UploadDate": call.now}}


def list_signing_certificates(tx: Connection, call: Call, params: dict) -> dict:
    user_id, user_name = users.credential_owner(tx, call, params)
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    query = select(signing_certificates).where(_certificates_of(call.account_id, user_id))
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(signing_certificates.c.id > after)
    rows = tx.execute(query.order_by(signing_certificates.c.id).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.id)
    return {"Certificates": [_describe(row, user_name) for row in rows], **paging}


def _find(tx: Connection, call: Call, params: dict):
    user_id, _ = users.credential_owner(tx, call, params)
    certificate_id = params["CertificateId"]
    row = tx.execute(select(signing_certificates.c.id).where(_certificates_of(call.account_id, user_id),
                                                             signing_certificates.c.id == certificate_id)).first()
    if row is None:
        raise NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")
    return row


def update_signing_certificate(tx: Connection, call: Call, params: dict) -> None:
    row = _find(tx, call, params)
    tx.execute(update(signing_certificates).where(signing_certificates.c.id == row.id)
               .values(status=params["Status"]))


def delete_signing_certificate(tx: Connection, call: Call, params: dict) -> None:
    row = _find(tx, call, params)
    tx.execute(delete(signing_certificates).where(signing_certificates.c.id == row.id))


OPERATIONS = (
    # Signing certificates sign SOAP requests of other services: no change to IAM permissions.
    iam("UploadSigningCertificate", upload_signing_certificate, users.resource_arn, changes_access=False),
    iam("ListSigningCertificates", list_signing_certificates, users.resource_arn, writes=False),
    iam("UpdateSigningCertificate", update_signing_certificate, users.resource_arn, changes_access=False),
    iam("DeleteSigningCertificate", delete_signing_certificate, users.resource_arn, changes_access=False),
)
