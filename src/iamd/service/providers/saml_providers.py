"""IAM SAML providers: Create/Get/List/Update/Delete and tags.

A provider is ``arn:aws:iam::111111111111:saml-provider/<name>``. Its SAML metadata document must be
SAML 2.0 metadata for an identity provider: an ``md:EntityDescriptor`` holding an
``md:IDPSSODescriptor``, parsed with the standard library (no DTDs, so no entity expansion). ValidUntil
is the document's ``validUntil`` (on the EntityDescriptor, else on the IDPSSODescriptor), or 100 years
after the upload, as AWS sets it.

Trusted identity propagation settings (ContextProvider, IdentityCenterInstanceArn) follow the rules in
service/providers/provider_context.py; IdentityStoreArn is left out, as no Identity Center is here to resolve it.

Assertion encryption (AssertionEncryptionMode Required, AddPrivateKey, RemovePrivateKey) has no storage
yet: iamd answers NotImplemented rather than pretend, and reports ``Allowed`` with no private keys.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity, NotImplementedOperation
from iamd.security import ids
from iamd.service import tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.providers import provider_context
from iamd.store.schema import saml_providers

MAX_PROVIDERS = quotas.SAML_PROVIDERS.limit  # SAML providers per account
DEFAULT_VALIDITY_YEARS = 100
_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
_UNPARSABLE = "Could not parse metadata"


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Manifest not found for arn {arn}")


def provider_arn(account_id: str, name: str) -> str:
    return ids.arn(account_id, f"saml-provider/{name}")


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, day=28)


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def metadata_valid_until(document: str, now: datetime) -> datetime:
    """Check ``document`` is SAML 2.0 IdP metadata; its validUntil, or the default one."""
    if "<!DOCTYPE" in document.upper() or "<!ENTITY" in document.upper():
        raise InvalidInput(_UNPARSABLE)
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        raise InvalidInput(_UNPARSABLE) from None
    idp = root.find(f"{_MD}IDPSSODescriptor")
    if root.tag != f"{_MD}EntityDescriptor" or idp is None:
        raise InvalidInput(_UNPARSABLE)
    valid_until = root.get("validUntil") or idp.get("validUntil")
    if valid_until is None:
        return _years_later(now, DEFAULT_VALIDITY_YEARS)
    try:
        return _timestamp(valid_until)
    except ValueError:
        raise InvalidInput(_UNPARSABLE) from None


def _check_encryption_options(params: dict) -> None:
    if params.get("AssertionEncryptionMode", "Allowed") != "Allowed" or "AddPrivateKey" in params \
            or "RemovePrivateKey" in params:
        raise NotImplementedOperation("iamd does not implement SAML assertion encryption "
                                      "(AssertionEncryptionMode Required, AddPrivateKey, RemovePrivateKey) yet.")


def find_provider(tx: Connection, account_id: str, arn: str):
    row = tx.execute(select(saml_providers).where(saml_providers.c.arn == arn,
                                                  saml_providers.c.account_id == account_id)).first()
    if row is None:
        raise not_found(arn)
    return row


def count(tx: Connection, account_id: str) -> int:
    return tx.scalar(select(func.count()).select_from(saml_providers)
                     .where(saml_providers.c.account_id == account_id)) or 0


# ------------------------------------------------------------------------------------ resources

def create_resource(call: Call, params: dict) -> str | targets.Target:
    """The new provider's ARN; a namesake's row, if one exists, is the resource named (its tags)."""
    return resource_arn(call, {"SAMLProviderArn": provider_arn(call.account_id, params["Name"])})


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    """The provider's ARN as given; with the caller's own provider's row, for its tags and the handler."""
    arn = params["SAMLProviderArn"]
    if call.tx is None:
        return arn
    row = call.tx.execute(select(saml_providers).where(saml_providers.c.arn == arn,
                                                       saml_providers.c.account_id == call.account_id)).first()
    return targets.found(call, "saml-provider", arn, row, arn)


def target_provider(tx: Connection, call: Call, arn: str):
    """``find_provider``, taking the row authorization found for this request when it is this one's."""
    return targets.reuse(call, "saml-provider", arn) or find_provider(tx, call.account_id, arn)


# ------------------------------------------------------------------------------------ handlers

def create_provider(tx: Connection, call: Call, params: dict) -> dict:
    name, document = params["Name"], params["SAMLMetadataDocument"]
    valid_until = metadata_valid_until(document, call.now)
    _check_encryption_options(params)
    context_provider, instance = provider_context.at_creation(params)
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    arn = provider_arn(call.account_id, name)
    exists_already = EntityAlreadyExists(f"Provider with name {name} already exists.")
    quotas.hold_account(tx, call.account_id)  # the account-wide count and the name check
    if tx.scalar(select(saml_providers.c.arn).where(saml_providers.c.arn == arn)) is not None:
        raise exists_already
    if count(tx, call.account_id) >= MAX_PROVIDERS:
        raise quotas.SAML_PROVIDERS.exceeded()
    provider_id = uuid.uuid4().hex
    try:
        tx.execute(insert(saml_providers).values(
            arn=arn, id=provider_id, account_id=call.account_id, name=name, metadata_document=document,
            uuid=uuid.uuid4().hex.upper(), created_at=call.now, valid_until=valid_until,
            **provider_context.columns(context_provider, instance),
        ))
    except IntegrityError:
        raise exists_already from None
    result: dict = {"SAMLProviderArn": arn}
    if new_tags:
        tagging.put_tags(tx, provider_id, new_tags)
        result["Tags"] = new_tags
    return result


def get_provider(tx: Connection, call: Call, params: dict) -> dict:
    row = target_provider(tx, call, params["SAMLProviderArn"])
    return {
        "SAMLProviderUUID": row.uuid,
        "SAMLMetadataDocument": row.metadata_document,
        "CreateDate": row.created_at,
        "ValidUntil": row.valid_until,
        "Tags": tagging.list_tags(tx, row.id),
        "AssertionEncryptionMode": "Allowed",
        "PrivateKeyList": [],
        **provider_context.shown(row),
    }


def list_providers(tx: Connection, call: Call, params: dict) -> dict:
    rows = tx.execute(select(saml_providers.c.arn, saml_providers.c.valid_until, saml_providers.c.created_at)
                      .where(saml_providers.c.account_id == call.account_id)
                      .order_by(saml_providers.c.arn)).all()
    return {"SAMLProviderList": [{"Arn": row.arn, "ValidUntil": row.valid_until, "CreateDate": row.created_at}
                                 for row in rows]}


def update_provider(tx: Connection, call: Call, params: dict) -> dict:
    row = target_provider(tx, call, params["SAMLProviderArn"])
    _check_encryption_options(params)
    if any(name in params for name in provider_context.PARAMETERS):
        tx.execute(update(saml_providers).where(saml_providers.c.arn == row.arn)
                   .values(provider_context.apply_update(row, params)))
    document = params.get("SAMLMetadataDocument")
    if document is not None:
        valid_until = metadata_valid_until(document, call.now)
        tx.execute(update(saml_providers).where(saml_providers.c.arn == row.arn)
                   .values(metadata_document=document, valid_until=valid_until))
    return {"SAMLProviderArn": row.arn}


def delete_provider(tx: Connection, call: Call, params: dict) -> None:
    row = target_provider(tx, call, params["SAMLProviderArn"])
    tagging.drop_all(tx, row.id)
    tx.execute(delete(saml_providers).where(saml_providers.c.arn == row.arn))
    return None


_TAGS = tagging.TagHandlers(lambda tx, call, params: target_provider(tx, call, params["SAMLProviderArn"]))


OPERATIONS = (
    iam("CreateSAMLProvider", create_provider, create_resource),
    iam("GetSAMLProvider", get_provider, resource_arn, writes=False),
    iam("ListSAMLProviders", list_providers, any_resource, writes=False),
    iam("UpdateSAMLProvider", update_provider, resource_arn),
    iam("DeleteSAMLProvider", delete_provider, resource_arn),
    iam("TagSAMLProvider", _TAGS.tag, resource_arn),
    iam("UntagSAMLProvider", _TAGS.untag, resource_arn),
    iam("ListSAMLProviderTags", _TAGS.list, resource_arn, writes=False),
)
