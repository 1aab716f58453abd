"""Trusted identity propagation settings of an identity provider (OIDC or SAML): its context provider
and its IAM Identity Center association, checked as AWS's API reference states the rules
(Create/UpdateOpenIDConnectProvider, Create/UpdateSAMLProvider, ContextProvider,
ContextProviderKeyDefinition).

- A key (SubjectSourceKey, SubjectTypeSourceKey, SourceKey, TargetKey) holds ASCII letters, digits,
  single spaces and ``_ . : / = + - @ #``, and neither starts nor ends with a space.
- SubjectTypeValue and SubjectTypeSourceKey exclude each other.
- An Identity Center instance needs a context provider: given together at creation; on update, the
  context provider cannot be removed while an instance is associated.
- One update changes one of the two settings, each either set or removed, never both at once.
"""

from __future__ import annotations

import json
import re

from iamd.errors import InvalidInput

_KEY = re.compile(r"[A-Za-z0-9_.:/=+\-@#]+(?: [A-Za-z0-9_.:/=+\-@#]+)*")
# InstanceMetadata.InstanceArn in the IAM Identity Center API Reference.
_INSTANCE_ARN = re.compile(r"arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}")


def _check_key(name: str, key: str) -> None:
    if not _KEY.fullmatch(key):
        raise InvalidInput(f"{name} {key} is not valid: a key can contain only ASCII letters, numbers, single "
                           "spaces and the characters _ . : / = + - @ #, and can't start or end with a space.")


def check_context_provider(provider: dict) -> dict:
    """The context provider as stored and answered; InvalidInput for what AWS refuses."""
    _check_key("SubjectSourceKey", provider["SubjectSourceKey"])
    if "SubjectTypeValue" in provider and "SubjectTypeSourceKey" in provider:
        raise InvalidInput("Specify either SubjectTypeValue or SubjectTypeSourceKey, but not both.")
    if "SubjectTypeSourceKey" in provider:
        _check_key("SubjectTypeSourceKey", provider["SubjectTypeSourceKey"])
    for definition in provider.get("KeyDefinitionList", []):
        _check_key("SourceKey", definition["SourceKey"])
        if "TargetKey" in definition:
            _check_key("TargetKey", definition["TargetKey"])
    return provider


def check_instance_arn(arn: str) -> str:
    if not _INSTANCE_ARN.fullmatch(arn):
        raise InvalidInput(f"ARN {arn} is not valid.")
    return arn


PARAMETERS = ("ContextProvider", "IdentityCenterInstanceArn", "RemoveContextProvider", "RemoveIdentityCenterInstance")


def at_creation(params: dict) -> tuple[dict | None, str | None]:
    """(context provider, instance ARN) given to a Create operation."""
    provider = params.get("ContextProvider")
    instance = params.get("IdentityCenterInstanceArn")
    if instance is not None and provider is None:
        raise InvalidInput("IdentityCenterInstanceArn requires ContextProvider.")
    return (check_context_provider(provider) if provider is not None else None,
            check_instance_arn(instance) if instance is not None else None)


def updated(current_provider: dict | None, current_instance: str | None, params: dict) -> dict:
    """What an Update operation changes: ``context_provider`` or ``instance``, None to remove."""
    provider, remove_provider = params.get("ContextProvider"), params.get("RemoveContextProvider") is True
    instance = params.get("IdentityCenterInstanceArn")
    remove_instance = params.get("RemoveIdentityCenterInstance") is True
    if provider is not None and remove_provider:
        raise InvalidInput("Specify either ContextProvider or RemoveContextProvider, but not both.")
    if instance is not None and remove_instance:
        raise InvalidInput("Specify either IdentityCenterInstanceArn or RemoveIdentityCenterInstance, but not both.")
    changes_provider = provider is not None or remove_provider
    changes_instance = instance is not None or remove_instance
    if changes_provider and changes_instance:
        raise InvalidInput("A request can change either the context provider or the IAM Identity Center "
                           "association, but not both.")
    if remove_provider:
        if current_instance is not None:
            raise InvalidInput("Remove the IAM Identity Center association before removing the context provider.")
        return {"context_provider": None}
    if provider is not None:
        return {"context_provider": check_context_provider(provider)}
    if remove_instance:
        return {"instance": None}
    if instance is not None:
        check_instance_arn(instance)
        if current_provider is None:
            raise InvalidInput("An IAM Identity Center instance can be associated only with a provider that has a "
                               "context provider.")
        return {"instance": instance}
    raise InvalidInput("Specify ContextProvider, RemoveContextProvider, IdentityCenterInstanceArn or "
                       "RemoveIdentityCenterInstance.")


# Both provider tables keep the settings in the same two columns.

def columns(context_provider: dict | None, instance: str | None) -> dict:
    return {"context_provider": json.dumps(context_provider) if context_provider else None,
            "identity_center_instance_arn": instance}


def shown(row) -> dict:
    """The Get operations' ContextProvider and IdentityCenterInstanceArn (None: left out)."""
    return {"ContextProvider": json.loads(row.context_provider) if row.context_provider else None,
            "IdentityCenterInstanceArn": row.identity_center_instance_arn}


def apply_update(row, params: dict) -> dict:
    """The columns an Update operation's request changes on ``row``."""
    current = json.loads(row.context_provider) if row.context_provider else None
    change = updated(current, row.identity_center_instance_arn, params)
    values = columns(change.get("context_provider"), change.get("instance"))
    if "context_provider" not in change:
        del values["context_provider"]
    if "instance" not in change:
        del values["identity_center_instance_arn"]
    return values
