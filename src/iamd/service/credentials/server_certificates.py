"""Server certificates: UploadServerCertificate, GetServerCertificate, ListServerCertificates,
UpdateServerCertificate, DeleteServerCertificate and their tags.

The certificate, its private key and the chain are parsed on upload; the key must belong to the
certificate. The private key is sealed at rest and never returned. Expiration comes from the
certificate. At most 20 per account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.exceptions import UnsupportedAlgorithm
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, KeyPairMismatch, MalformedCertificate, NoSuchEntity
from iamd.security import ids
from iamd.service import resources, tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.pagination import list_by_path
from iamd.store.schema import server_certificates as certificates

if TYPE_CHECKING:
    from cryptography import x509

MAX_PER_ACCOUNT = quotas.SERVER_CERTIFICATES.limit

BAD_CERTIFICATE = "Unable to parse certificate. Please ensure the certificate is in PEM format."
BAD_PRIVATE_KEY = "Unable to parse private key. Please ensure the private key is in PEM format."
BAD_CHAIN = "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format."
MISMATCH = "The private key did not match the public key provided."


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")


def already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")


def find(tx: Connection, account_id: str, name: str):
    row = tx.execute(select(certificates).where(certificates.c.account_id == account_id,
                                                certificates.c.name_key == name.lower())).first()
    if row is None:
        raise not_found(name)
    return row


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    """The certificate: its stored path, or UploadServerCertificate's Path; with its row (target)."""
    return resources.named_target(call, "server-certificate", params["ServerCertificateName"], params.get("Path"))


def target(tx: Connection, call: Call, name: str):
    """``find``, taking the row authorization found for this request when it is this certificate's."""
    return targets.reuse(call, "server-certificate", name.lower()) or find(tx, call.account_id, name)


def metadata(row) -> dict:
    return {
        "Path": row.path, "ServerCertificateName": row.name, "ServerCertificateId": row.id,
        "Arn": ids.entity_arn(row.account_id, "server-certificate", row.path, row.name),
        "UploadDate": row.uploaded_at, "Expiration": row.expires_at,
    }


def _public_der(key) -> bytes:
    from cryptography.hazmat.primitives import serialization  # late, as in check_material

    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_material(body: str, private_key: str, chain: str | None) -> x509.Certificate:
    """The parsed certificate, once body, key and chain are well-formed and the key fits the certificate."""
    # Imported here: cryptography's x509 costs a server's start more than this rare operation.
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
    except (ValueError, TypeError):
        raise MalformedCertificate(BAD_CERTIFICATE) from None
    try:
        key = serialization.load_pem_private_key(private_key.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise MalformedCertificate(BAD_PRIVATE_KEY) from None
    if chain is not None:
        try:
            if not x509.load_pem_x509_certificates(chain.strip().encode("latin-1")):
                raise ValueError("empty chain")
        except (ValueError, TypeError):
            raise MalformedCertificate(BAD_CHAIN) from None
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise KeyPairMismatch(MISMATCH)
    return certificate


def upload_server_certificate(tx: Connection, call: Call, params: dict) -> dict:
    name, path = params["ServerCertificateName"], params.get("Path", "/")
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    quotas.hold_account(tx, call.account_id)
    if tx.scalar(select(certificates.c.id).where(certificates.c.account_id == call.account_id,
                                                  certificates.c.name_key == name.lower())):
        raise already_exists(name)
    certificate = check_material(params["CertificateBody"], params["PrivateKey"], params.get("CertificateChain"))
    quotas.check(tx, quotas.SERVER_CERTIFICATES, certificates, certificates.c.account_id == call.account_id)
    certificate_id = ids.unique_id("server-certificate")
    try:
        tx.execute(insert(certificates).values(
            id=certificate_id, account_id=call.account_id, name=name, name_key=name.lower(), path=path,
            body=params["CertificateBody"], chain=params.get("CertificateChain"),
            private_key=call.env.secrets.seal(params["PrivateKey"], certificate_id),
            uploaded_at=call.now, expires_at=certificate.not_valid_after_utc,
        ))
    except IntegrityError:
        raise already_exists(name) from None
    if new_tags:
        tagging.put_tags(tx, certificate_id, new_tags)
    row = tx.execute(select(certificates).where(certificates.c.id == certificate_id)).one()
    result: dict = {"ServerCertificateMetadata": metadata(row)}
    if new_tags:
        result["Tags"] = new_tags
    return result


def get_server_certificate(tx: Connection, call: Call, params: dict) -> dict:
    row = target(tx, call, params["ServerCertificateName"])
    return {"ServerCertificate": {
        "ServerCertificateMetadata": metadata(row), "CertificateBody": row.body, "CertificateChain": row.chain,
        "Tags": tagging.list_tags(tx, row.id),
    }}


def list_server_certificates(tx: Connection, call: Call, params: dict) -> dict:
    rows, paging = list_by_path(tx, certificates, call.account_id, params)
    return {"ServerCertificateMetadataList": [metadata(row) for row in rows], **paging}


def update_server_certificate(tx: Connection, call: Call, params: dict) -> None:
    row = target(tx, call, params["ServerCertificateName"])
    changes: dict[str, Any] = {}
    new_name = params.get("NewServerCertificateName")
    if new_name is not None:
        changes.update(name=new_name, name_key=new_name.lower())
    if "NewPath" in params:
        changes["path"] = params["NewPath"]
    if not changes:
        return None
    try:
        tx.execute(update(certificates).where(certificates.c.id == row.id).values(**changes))
    except IntegrityError:  # only a new name can collide
        raise already_exists(new_name or row.name) from None
    return None


def delete_server_certificate(tx: Connection, call: Call, params: dict) -> None:
    row = target(tx, call, params["ServerCertificateName"])
    tagging.drop_all(tx, row.id)
    tx.execute(delete(certificates).where(certificates.c.id == row.id))


_TAGS = tagging.TagHandlers(lambda tx, call, params: target(tx, call, params["ServerCertificateName"]))


OPERATIONS = (
    # Server certificates serve TLS elsewhere (ELB, CloudFront): no change to IAM permissions.
    iam("UploadServerCertificate", upload_server_certificate, resource_arn, changes_access=False),
    iam("GetServerCertificate", get_server_certificate, resource_arn, writes=False),
    iam("ListServerCertificates", list_server_certificates, any_resource, writes=False),
    iam("UpdateServerCertificate", update_server_certificate, resource_arn, changes_access=False),
    iam("DeleteServerCertificate", delete_server_certificate, resource_arn, changes_access=False),
    iam("TagServerCertificate", _TAGS.tag, resource_arn),  # tags may be conditions
    iam("UntagServerCertificate", _TAGS.untag, resource_arn),
    iam("ListServerCertificateTags", _TAGS.list, resource_arn, writes=False),
)
