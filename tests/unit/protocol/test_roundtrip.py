"""Every IAM and STS operation: botocore's serializer → our decoder, our encoder → botocore's parser."""

from __future__ import annotations

import copy
import json
from urllib.parse import unquote

import pytest
from botocore import handlers, parsers, serialize
from botocore.awsrequest import AWSRequest

from iamd.protocol import decode, encode, model
from iamd.protocol.omissions import omission_tree
from tests.unit.protocol.protocol_shapegen import value_for

OPERATIONS = [(s, op) for s in model.SERVICES for op in model.operation_names(s)]
WITH_OUTPUT = [(s, op) for s, op in OPERATIONS if model.operation_model(s, op).output_shape is not None]


def wire_body(operation, params) -> str:
    request = serialize.create_serializer("query").serialize_to_request(params, operation)
    prepared = AWSRequest(method="POST", url="https://iam.amazonaws.com/", data=request["body"]).prepare()
    return prepared.body


def test_model_sizes():
    assert len(model.operation_names("iam")) >= 170
    assert len(model.operation_names("sts")) >= 8


@pytest.mark.parametrize("service,name", OPERATIONS)
@pytest.mark.parametrize("variant", [0, 1])
def test_decode_mirrors_botocore_serializer(service, name, variant):
    operation = model.operation_model(service, name)
    params = value_for(operation.input_shape, variant) if operation.input_shape is not None else {}
    body = wire_body(operation, params)
    form = decode.parse_form(body.encode("utf-8"))
    assert model.resolve_operation(form) == (service, operation)
    assert decode.decode_params(operation, form) == params


@pytest.mark.parametrize("service,name", [(s, op) for s, op in OPERATIONS
                                          if model.operation_model(s, op).input_shape is not None])
def test_decode_empty_lists(service, name):
    operation = model.operation_model(service, name)
    params = value_for(operation.input_shape, empty=True)
    form = decode.parse_form(wire_body(operation, params))
    decoded = decode.decode_form(operation, form)
    # botocore writes ``Foo=`` for an empty list but nothing at all for an empty map
    expected = {k: v for k, v in params.items() if v != {} or operation.input_shape.members[k].type_name != "map"}
    assert decoded == expected


def expected_result(shape, value, omit):
    """What botocore + json_decode_policies give back: documents parsed, omitted members gone."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if name in value and omit.get(name) != {}:
                out[name] = expected_result(member, value[name], omit.get(name) or {})
        return out
    if kind == "list":
        return [expected_result(shape.member, v, omit) for v in value]
    if kind == "map":
        return {k: expected_result(shape.value, v, omit) for k, v in value.items()}
    if kind == "string" and shape.name == "policyDocumentType":
        return json.loads(value)
    return value


def parse_with_botocore(operation, body: bytes) -> dict:
    parsed = parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, operation.output_shape)
    handlers.json_decode_policies(parsed, operation)
    parsed.pop("ResponseMetadata")
    return parsed


@pytest.mark.parametrize("service,name", WITH_OUTPUT)
@pytest.mark.parametrize("variant", [0, 1])
def test_encode_mirrors_botocore_parser(service, name, variant):
    operation = model.operation_model(service, name)
    result = value_for(operation.output_shape, variant)
    before = copy.deepcopy(result)
    body = encode.encode_result(service, operation, result, "req-1")
    assert result == before
    parsed = parse_with_botocore(operation, body)
    assert parsed == expected_result(operation.output_shape, result, omission_tree(name))


@pytest.mark.parametrize("service,name", WITH_OUTPUT)
def test_encode_empty_lists(service, name):
    operation = model.operation_model(service, name)
    result = value_for(operation.output_shape, empty=True)
    parsed = parse_with_botocore(operation, encode.encode_result(service, operation, result, "r"))
    assert parsed == expected_result(operation.output_shape, result, omission_tree(name))


@pytest.mark.parametrize("service,name", OPERATIONS)
def test_request_id_and_namespace(service, name):
    operation = model.operation_model(service, name)
    body = encode.encode_result(service, operation, None, "abc-123").decode()
    assert body.startswith(f'<{name}Response xmlns="{encode.NAMESPACES[service]}">')
    assert body.endswith(
        f"<ResponseMetadata><RequestId>abc-123</RequestId></ResponseMetadata></{name}Response>")
    parsed = parsers.create_parser("query").parse(
        {"body": body.encode(), "headers": {}, "status_code": 200}, operation.output_shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "abc-123"


def test_policy_document_encoding_matches_botocore_handler():
    text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:%3A b","Resource":"*é"}}'
    out: list = []
    encode._enc_policy(text, out)
    assert unquote(out[0]) == text
    assert set(out[0]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%-._~")
