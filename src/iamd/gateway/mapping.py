"""What AWS would evaluate for a request: the IAM action(s), resource ARN(s) and request condition keys.

Pure: reads only the Service Authorization Reference data iamd ships (``reference_data`` for the
precisely mapped services, ``iamd.reference.actions`` for every service's action names).

- Precisely mapped services (``PRECISE_SERVICES``, one module each in ``services/``): the action the
  operation needs (a small table where it is not the operation's name), the resource ARN filled from
  the request's members, the service's condition keys the request carries, aws:RequestTag/* and
  aws:TagKeys; several items where AWS checks several (CopyObject, DeleteObjects, BatchGetItem ...).
- Every other service: the operation's action (``<prefix>:<Operation>``, checked against the
  reference's action list for the service prefix) on ``*``, with aws:RequestTag/* and aws:TagKeys.

Keys of the caller and the connection (aws:SourceIp, aws:CurrentTime, aws:SecureTransport,
aws:PrincipalTag/*, MFA, s3:authType, s3:signatureversion, s3:x-amz-content-sha256, ...) are the edge's
to add; so are keys that need a look at the resource (s3:ExistingObjectTag/*, aws:ResourceTag/*).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from iamd.gateway.authz import AuthorizationItem, KeySchemaLookup, KmsAliasLookup, Target, tag_context
from iamd.gateway.classify import ServiceRequest, Unclassified
from iamd.gateway.service_index import index
from iamd.gateway.services import apigateway, dynamodb, generic, kms, lambda_, s3, secretsmanager, sns, sqs, ssm
from iamd.reference import actions as reference_actions

__all__ = ["PRECISE_SERVICES", "AuthorizationItem", "KeySchemaLookup", "KmsAliasLookup", "authorization_items",
           "iam_action", "iam_prefix", "precise"]

_Mapper = Callable[[Target], list[AuthorizationItem]]

# botocore service name -> its precise mapper.
_MAPPERS: dict[str, _Mapper] = {
    "s3": s3.items,
    "dynamodb": dynamodb.items,
    "sqs": sqs.items,
    "sns": sns.items,
    "kms": kms.items,
    "lambda": lambda_.items,
    "secretsmanager": secretsmanager.items,
    "ssm": ssm.items,
    "apigateway": apigateway.items,
    "apigatewayv2": apigateway.items,
    "logs": generic.make("logs"),
    "events": generic.make("events"),
    "stepfunctions": generic.make("states"),
    "ecr": generic.make("ecr"),
    "cloudwatch": generic.make("cloudwatch"),
}

PRECISE_SERVICES = frozenset(_MAPPERS)


def precise(service: str) -> bool:
    """True: resources and service keys are mapped; False: the action on "*" only (docs/gateway.md)."""
    return service in _MAPPERS


@cache
def iam_prefix(service: str) -> str:
    """The IAM service prefix of a botocore service: its signing name, endpoint prefix or name,
    whichever the Service Authorization Reference knows ("stepfunctions" -> "states",
    "cloudwatch" -> "cloudwatch" though it signs as "monitoring")."""
    meta = index().services.get(service)
    known = set(reference_actions.all_services())
    candidates = [service]
    if meta is not None:
        candidates = [meta.signing_name, service, meta.endpoint_prefix]
    for candidate in candidates:
        if candidate in known:
            return candidate
    return candidates[0]


@cache
def _action_names(prefix: str) -> dict[str, str]:
    return {name.lower(): name for name in reference_actions.all_actions(prefix)}


def iam_action(service: str, operation: str) -> tuple[str, bool]:
    """(``prefix:Action``, whether the reference lists it) for an operation of an unmapped service."""
    prefix = iam_prefix(service)
    name = _action_names(prefix).get(operation.lower())
    return f"{prefix}:{name or operation}", name is not None


# Services whose mapping reads nothing but the request's members, region and account (no key schema, no
# alias): their items are remembered by those, when the members are all hashable and short (a bodiless
# S3 request's: bucket, key, range, ACL header ...). A client chooses them: longer ones are mapped anew.
_REMEMBERED_SERVICES = frozenset({"s3"})
_REMEMBERED_LENGTH = 2048


def authorization_items(request: ServiceRequest, account_id: str, partition: str = "aws",
                        key_schema: KeySchemaLookup | None = None,
                        kms_alias: KmsAliasLookup | None = None) -> tuple[AuthorizationItem, ...]:
    """Every (action, resource, context) AWS evaluates for the request (remembered where that is sure:
    ``_REMEMBERED_SERVICES``).

    ``account_id``: the caller's account, owner of what the request names by name alone.
    ``key_schema``: (account, region, table) -> the DynamoDB table's partition key name, or None
    (see services/dynamodb.py for what is given without it).
    ``kms_alias``: (account, region, "alias/name") -> the key id the alias points to, or None
    (see services/kms.py).
    Raises classify.Unclassified when the members cannot be what the model says (the request is then
    refused like an unidentified one).
    """
    identified = request.identified
    if identified.service in _REMEMBERED_BY_BODY and request.json_body is not None:
        return _by_body(request, request.json_body, account_id, partition, key_schema, kms_alias)
    if identified.service not in _REMEMBERED_SERVICES:
        return _items(request, account_id, partition, key_schema, kms_alias)
    members = tuple(request.params.items())
    if sum(len(value) for _, value in members if isinstance(value, str)) > _REMEMBERED_LENGTH:
        return _items(request, account_id, partition)
    key = (identified.service, identified.operation, members, request.region, account_id, partition)
    try:
        found = _remembered.get(key)
    except TypeError:  # a structure from a body (DeleteObjects' keys, a tag set): mapped anew
        return _items(request, account_id, partition)
    if found is None:
        found = _items(request, account_id, partition)
        if len(_remembered) >= _REMEMBERED_ENTRIES:
            _remembered.clear()
        _remembered[key] = found  # never changed by its users (a tag read makes new items): shared
    return found


_remembered: dict[tuple[Any, ...], tuple[AuthorizationItem, ...]] = {}
_REMEMBERED_ENTRIES = 4096

# Services whose mapping reads the request's members and, through ``key_schema``, what the upstream says
# of a table (its partition key): remembered by the JSON body the members came from, with the key schema
# answers the mapping was given, which must be the same again (the lookup's own cache, dropped on a
# forwarded CreateTable or DeleteTable) for the items to serve.
_REMEMBERED_BY_BODY = frozenset({"dynamodb"})
_Lookups = tuple[tuple[tuple[str, str, str], str | None], ...]
_by_bodies: dict[tuple[Any, ...], tuple[_Lookups, tuple[AuthorizationItem, ...]]] = {}


def _by_body(request: ServiceRequest, body: bytes, account_id: str, partition: str,
             key_schema: KeySchemaLookup | None, kms_alias: KmsAliasLookup | None) -> tuple[AuthorizationItem, ...]:
    if len(body) > _REMEMBERED_LENGTH:
        return _items(request, account_id, partition, key_schema, kms_alias)
    identified = request.identified
    key = (identified.service, identified.operation, body, request.region, account_id, partition, key_schema is None)
    found = _by_bodies.get(key)
    if found is not None and key_schema is not None:  # the same answers now? (Cold: read, then asked again)
        if all(key_schema(*asked) == answer for asked, answer in found[0]):
            return found[1]
    elif found is not None:
        return found[1]
    asked: list[tuple[tuple[str, str, str], str | None]] = []

    def recorded(account: str, region: str, table: str) -> str | None:
        answer = key_schema(account, region, table)  # type: ignore[misc]  # only given when there is one
        asked.append(((account, region, table), answer))
        return answer

    items = _items(request, account_id, partition, recorded if key_schema is not None else None, kms_alias)
    if len(_by_bodies) >= _REMEMBERED_ENTRIES:
        _by_bodies.clear()
    _by_bodies[key] = (tuple(asked), items)
    return items


def _items(request: ServiceRequest, account_id: str, partition: str = "aws",
           key_schema: KeySchemaLookup | None = None,
           kms_alias: KmsAliasLookup | None = None) -> tuple[AuthorizationItem, ...]:
    service = request.identified.service
    mapper = _MAPPERS.get(service)
    if mapper is not None:
        try:
            items = tuple(mapper(Target(request, account_id, partition, key_schema, kms_alias)))
            if items:
                return items
            # A batch of nothing (BatchGetItem without tables ...): still the operation's action if it is
            # one, so that a request is never let through for having no item to check.
            action, known = iam_action(service, request.identified.operation)
            if not known:
                raise Unclassified(f"{service}:{request.identified.operation} names nothing to authorize")
            return (AuthorizationItem(action, "*", {}),)
        except Unclassified:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # Members of types botocore would never send (a list where a map belongs ...): the upstream
            # would refuse the request too; it is not authorized on a guess.
            raise Unclassified(f"the members of {service}:{request.identified.operation} are not of their "
                               f"modelled types ({type(exc).__name__})") from exc
    action, _known = iam_action(service, request.identified.operation)
    return (AuthorizationItem(action, "*", tag_context(request.params)),)
