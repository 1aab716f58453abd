"""IAM OpenID Connect providers: Create/Get/List/Delete, client ids, thumbprints and tags.

A provider is named by its URL without the ``https://`` scheme: ``https://example.org/auth`` becomes
``arn:aws:iam::111111111111:oidc-provider/example.org/auth``, and GetOpenIDConnectProvider answers
``Url`` in that form too. Thumbprints are optional (AWS now trusts its own library of root CAs) and at
most five; a provider holds at most 100 client ids. Its trusted identity propagation settings
(ContextProvider, IdentityCenterInstanceArn) are checked in service/providers/provider_context.py; the identity store
of an Identity Center instance cannot be resolved here, so GetOpenIDConnectProvider leaves out
IdentityStoreArn.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity, ValidationError
from iamd.security import ids
from iamd.service import tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.providers import provider_context
from iamd.store.schema import oidc_providers

SCHEME = "https://"
MAX_THUMBPRINTS = 5
MAX_CLIENT_IDS = 100
MAX_PROVIDERS = quotas.OIDC_PROVIDERS.limit  # OpenID Connect providers per account


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")


def _without_scheme(url: str) -> str:
    return url[len(SCHEME):] if url[:len(SCHEME)].lower() == SCHEME else url


def provider_arn(account_id: str, url: str) -> str:
    return ids.arn(account_id, f"oidc-provider/{_without_scheme(url)}")


def _check_url(url: str) -> str:
    """The URL without its scheme; AWS wants https, a host, and no query or fragment."""
    if url[:len(SCHEME)].lower() != SCHEME:
        raise ValidationError("Invalid Open ID Connect Provider URL")
    rest = url[len(SCHEME):]
    host = rest.split("/", 1)[0]
    if not host or any(c in rest for c in "?# ") or "@" in host:
        raise ValidationError("Invalid Open ID Connect Provider URL")
    return rest


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _check_thumbprints(thumbprints: list[str]) -> list[str]:
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise InvalidInput("Thumbprint list must contain fewer than 5 entries.")
    return _unique(thumbprints)


def _check_client_ids(client_ids: list[str]) -> list[str]:
    client_ids = _unique(client_ids)
    if len(client_ids) > MAX_CLIENT_IDS:
        raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    return client_ids


def find_provider(tx: Connection, account_id: str, arn: str, missing=not_found, for_update: bool = False):
    """The provider's row; ``for_update``: locked until commit, for a change of its JSON lists that must
    not lose a concurrent one (store/locks.py)."""
    query = select(oidc_providers).where(oidc_providers.c.arn == arn, oidc_providers.c.account_id == account_id)
    row = tx.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise missing(arn)
    return row


def count(tx: Connection, account_id: str) -> int:
    return tx.scalar(select(func.count()).select_from(oidc_providers)
                     .where(oidc_providers.c.account_id == account_id)) or 0


# ------------------------------------------------------------------------------------ resources

def create_resource(call: Call, params: dict) -> str | targets.Target:
    """The new provider's ARN; a namesake's row, if one exists, is the resource named (its tags)."""
    return resource_arn(call, {"OpenIDConnectProviderArn": provider_arn(call.account_id, params["Url"])})


def resource_arn(call: Call, params: dict) -> str | targets.Target:
    """The provider's ARN as given; with the caller's own provider's row, for its tags and the handler."""
    arn = params["OpenIDConnectProviderArn"]
    if call.tx is None:
        return arn
    row = call.tx.execute(select(oidc_providers).where(oidc_providers.c.arn == arn,
                                                       oidc_providers.c.account_id == call.account_id)).first()
    return targets.found(call, "oidc-provider", arn, row, arn)


def target_provider(tx: Connection, call: Call, arn: str, missing=not_found):
    """``find_provider``, taking the row authorization found for this request when it is this one's
    (never for a change that must hold the row: ``find_provider(..., for_update=True)``)."""
    return targets.reuse(call, "oidc-provider", arn) or find_provider(tx, call.account_id, arn, missing)


# ------------------------------------------------------------------------------------ handlers

def create_provider(tx: Connection, call: Call, params: dict) -> dict:
    url = params["Url"]
    stored_url = _check_url(url)
    thumbprints = _check_thumbprints(params.get("ThumbprintList", []))
    client_ids = _check_client_ids(params.get("ClientIDList", []))
    new_tags = params.get("Tags", [])
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    context_provider, instance = provider_context.at_creation(params)
    arn = provider_arn(call.account_id, url)
    exists_already = EntityAlreadyExists(f"Provider with url {url} already exists.")
    quotas.hold_account(tx, call.account_id)  # the account-wide count and the name check
    if tx.scalar(select(oidc_providers.c.arn).where(oidc_providers.c.arn == arn)) is not None:
        raise exists_already
    if count(tx, call.account_id) >= MAX_PROVIDERS:
        raise quotas.OIDC_PROVIDERS.exceeded()
    provider_id = uuid.uuid4().hex
    try:
        tx.execute(insert(oidc_providers).values(
            arn=arn, id=provider_id, account_id=call.account_id, url=stored_url,
            client_ids=json.dumps(client_ids), thumbprints=json.dumps(thumbprints), created_at=call.now,
            **provider_context.columns(context_provider, instance),
        ))
    except IntegrityError:
        raise exists_already from None
    result: dict = {"OpenIDConnectProviderArn": arn}
    if new_tags:
        tagging.put_tags(tx, provider_id, new_tags)
        result["Tags"] = new_tags
    return result


def get_provider(tx: Connection, call: Call, params: dict) -> dict:
    row = target_provider(tx, call, params["OpenIDConnectProviderArn"])
    return {
        "Url": row.url,
        "ClientIDList": json.loads(row.client_ids),
        "ThumbprintList": json.loads(row.thumbprints),
        "CreateDate": row.created_at,
        "Tags": tagging.list_tags(tx, row.id),
        **provider_context.shown(row),
    }


def update_provider(tx: Connection, call: Call, params: dict) -> None:
    """UpdateOpenIDConnectProvider: set or remove the context provider or the Identity Center instance."""
    row = target_provider(tx, call, params["OpenIDConnectProviderArn"])
    tx.execute(update(oidc_providers).where(oidc_providers.c.arn == row.arn)
               .values(provider_context.apply_update(row, params)))
    return None


def list_providers(tx: Connection, call: Call, params: dict) -> dict:
    arns = tx.scalars(select(oidc_providers.c.arn).where(oidc_providers.c.account_id == call.account_id)
                      .order_by(oidc_providers.c.arn)).all()
    return {"OpenIDConnectProviderList": [{"Arn": arn} for arn in arns]}


def _delete_not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"OpenId connect Provider {arn} cannot be found.")


def delete_provider(tx: Connection, call: Call, params: dict) -> None:
    row = target_provider(tx, call, params["OpenIDConnectProviderArn"], missing=_delete_not_found)
    tagging.drop_all(tx, row.id)
    tx.execute(delete(oidc_providers).where(oidc_providers.c.arn == row.arn))
    return None


def _set(tx: Connection, row, **values) -> None:
    tx.execute(update(oidc_providers).where(oidc_providers.c.arn == row.arn)
               .values({name: json.dumps(value) for name, value in values.items()}))


def add_client_id(tx: Connection, call: Call, params: dict) -> None:
    row = find_provider(tx, call.account_id, params["OpenIDConnectProviderArn"], for_update=True)
    client_ids = json.loads(row.client_ids)
    if params["ClientID"] in client_ids:
        return None  # already registered: AWS answers success
    _set(tx, row, client_ids=_check_client_ids([*client_ids, params["ClientID"]]))
    return None


def remove_client_id(tx: Connection, call: Call, params: dict) -> None:
    row = find_provider(tx, call.account_id, params["OpenIDConnectProviderArn"], for_update=True)
    client_ids = json.loads(row.client_ids)
    if params["ClientID"] in client_ids:  # removing an unknown client id succeeds too
        _set(tx, row, client_ids=[c for c in client_ids if c != params["ClientID"]])
    return None


def update_thumbprint(tx: Connection, call: Call, params: dict) -> None:
    thumbprints = _check_thumbprints(params.get("ThumbprintList", []))
    row = target_provider(tx, call, params["OpenIDConnectProviderArn"])
    _set(tx, row, thumbprints=thumbprints)
    return None


_TAGS = tagging.TagHandlers(
    lambda tx, call, params: target_provider(tx, call, params["OpenIDConnectProviderArn"]))


OPERATIONS = (
    iam("CreateOpenIDConnectProvider", create_provider, create_resource),
    iam("GetOpenIDConnectProvider", get_provider, resource_arn, writes=False),
    iam("ListOpenIDConnectProviders", list_providers, any_resource, writes=False),
    iam("DeleteOpenIDConnectProvider", delete_provider, resource_arn),
    iam("AddClientIDToOpenIDConnectProvider", add_client_id, resource_arn),
    iam("RemoveClientIDFromOpenIDConnectProvider", remove_client_id, resource_arn),
    iam("UpdateOpenIDConnectProviderThumbprint", update_thumbprint, resource_arn),
    iam("UpdateOpenIDConnectProvider", update_provider, resource_arn),
    iam("TagOpenIDConnectProvider", _TAGS.tag, resource_arn),
    iam("UntagOpenIDConnectProvider", _TAGS.untag, resource_arn),
    iam("ListOpenIDConnectProviderTags", _TAGS.list, resource_arn, writes=False),
)
