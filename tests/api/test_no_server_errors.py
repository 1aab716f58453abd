"""Every served operation, called with every member filled (values generated from botocore's shapes,
within their constraints), answers a result or an AWS error: never a 5xx."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from iamd.protocol.model import operation_model
from iamd.service.operations import OPERATIONS
from tests.api.conftest import client
from tests.unit.protocol.protocol_shapegen import value_for

SERVED = sorted(OPERATIONS)


def _snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


@pytest.mark.parametrize("variant", [0, 1])
def test_no_operation_answers_a_server_error(server, new_account, variant):
    # A fresh account: these calls change account-wide settings (the password policy, the alias).
    account = new_account()
    keys = (account["aws_access_key_id"], account["aws_secret_access_key"])
    iam, sts = client(server, "iam", *keys), client(server, "sts", *keys)
    failures = []
    for service, name in SERVED:
        model = operation_model(service, name)
        params = value_for(model.input_shape, variant) if model.input_shape is not None else {}
        caller = iam if service == "iam" else sts
        try:
            getattr(caller, _snake(name))(**(params or {}))
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            if status >= 500:
                failures.append(f"{service}:{name} -> {status} {error.response['Error']}")
    assert not failures, "\n".join(failures)
