"""Every served operation, called with every member filled (values generated from botocore's shapes,
within their constraints), answers a result or an AWS error: never a 5xx."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.protocol.model import operation_model
from iamd.service.operations import OPERATIONS
from tests.api.conftest import boto_session, client
from tests.api.server import ROOT_KEY_ID, ROOT_SECRET
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


def test_bad_input_read_ahead_logs_one_line_without_the_value(server):
    """A value PostgreSQL refuses (a number beyond bigint, a NUL byte) fails the request's read-ahead
    (store.fastpath): the request still answers AWS's ValidationError, and the log gets one line naming
    the error's class, neither a traceback nor the value, however many such requests come."""
    unchecked = boto_session().client(
        "iam", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET, config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    before = len(server.log_text())
    for call, params in (("list_users", {"MaxItems": 2**63 + 1}), ("get_user", {"UserName": "a\x00b"})):
        with pytest.raises(ClientError) as caught:
            getattr(unchecked, call)(**params)
        assert caught.value.response["Error"]["Code"] == "ValidationError"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    logged = server.log_text()[before:]
    assert "Traceback" not in logged
    assert str(2**63 + 1) not in logged
