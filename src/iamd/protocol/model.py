"""botocore's IAM and STS models, loaded once, and the Action → operation lookup.

AWS serves IAM and STS on separate endpoints; iamd serves both on one, so the form's ``Version`` picks
the service when it names one of them (``2010-05-08`` IAM, ``2011-06-15`` STS). When ``Version`` is
missing or names neither, the ``Action`` alone decides, IAM first (the two models share no operation
name, so the order only matters if a future model adds one). An Action unknown to the chosen service
(or to both, without a usable Version) is ``InvalidAction``, worded as AWS's Query services word it;
a missing Version reads ``NO_VERSION_SPECIFIED`` in that message, as AWS writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

import botocore.loaders
import botocore.model

from iamd import errors

SERVICES = ("iam", "sts")
NO_VERSION = "NO_VERSION_SPECIFIED"


@lru_cache(maxsize=1)
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@cache
def service_model(name: str) -> botocore.model.ServiceModel:
    """The botocore model of ``"iam"`` or ``"sts"``, loaded once."""
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}")
    return botocore.model.ServiceModel(_loader().load_service_model(name, "service-2"), name)


@cache
def _operations(service: str) -> dict[str, botocore.model.OperationModel]:
    model = service_model(service)
    return {name: model.operation_model(name) for name in model.operation_names}


@lru_cache(maxsize=1)
def _by_version() -> dict[str, str]:
    return {service_model(s).api_version: s for s in SERVICES}


def operation_names(service: str) -> list[str]:
    """Every operation name of the service's model, in the model's (alphabetical) order."""
    return list(_operations(service))


def operation_model(service: str, name: str) -> botocore.model.OperationModel:
    """The cached operation model (KeyError when the model has no such operation)."""
    return _operations(service)[name]


def service_for_version(version: str | None) -> str:
    """The service a form's ``Version`` names; IAM when it names neither."""
    return _by_version().get(version or "", "iam")


def resolve_operation(params: Mapping[str, str]) -> tuple[str, botocore.model.OperationModel]:
    """("iam" | "sts", OperationModel) for the decoded form's ``Action`` and ``Version``."""
    action = params.get("Action")
    if not action:
        raise errors.MissingAction("Could not find operation to perform")
    version = params.get("Version")
    service = _by_version().get(version) if version else None
    if service is not None:
        operation = _operations(service).get(action)
        if operation is not None:
            return service, operation
    elif not version:  # no Version at all: the Action alone names the operation
        for candidate in SERVICES:
            operation = _operations(candidate).get(action)
            if operation is not None:
                return candidate, operation
    raise errors.InvalidAction(f"Could not find operation {action} for version {version or NO_VERSION}")
