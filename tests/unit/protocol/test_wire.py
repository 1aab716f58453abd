"""Forms, operation lookup, golden XML, errors, and the scalar types IAM's inputs do not use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import botocore.model
import pytest
from botocore import parsers, serialize
from botocore.awsrequest import AWSRequest

from iamd import errors
from iamd.protocol import decode, encode, model

UTC = UTC
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


# -- parse_form ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,expected", [
    (b"Action=GetUser&Version=2010-05-08", {"Action": "GetUser", "Version": "2010-05-08"}),
    (b"A=1&A=2", {"A": "2"}),
    (b"A=a+b%20c%2B&B=&C", {"A": "a b c+", "B": "", "C": ""}),
    ("UserName=%C3%A9l%C3%A8ve", {"UserName": "élève"}),
    ("UserName=élève".encode(), {"UserName": "élève"}),
    (b"", {}),
    (b"&&A=1&", {"A": "1"}),
])
def test_parse_form(body, expected):
    assert decode.parse_form(body) == expected


@pytest.mark.parametrize("body", [
    b"A=%zz", b"A=%4", b"A=100%", b"%=1", b"A=%C3%28", b"A=\xff\xfe", b"A=%ED%A0%80",
    b"A=1&" * 20_000, b"A=" + b"x" * (decode.MAX_FORM_BYTES + 1),
])
def test_parse_form_garbage_is_an_aws_error(body):
    with pytest.raises(errors.MalformedQueryString):
        decode.parse_form(body)


def test_decode_ignores_unknown_and_odd_keys():
    operation = model.operation_model("iam", "ListUsers")
    form = {"Action": "ListUsers", "Version": "2010-05-08", "X-Amz-Date": "x", "Nope": "1",
            "PathPrefix.member.1": "x", "MaxItems.x": "3", "Marker": "m"}
    assert decode.decode_params(operation, form) == {"Marker": "m"}


def test_decode_list_indexes_sorted_numerically_and_gaps_allowed():
    operation = model.operation_model("iam", "UntagUser")
    form = {"UserName": "u", "TagKeys.member.10": "c", "TagKeys.member.2": "b", "TagKeys.member.1": "a",
            "TagKeys.member.x": "ignored"}
    assert decode.decode_params(operation, form)["TagKeys"] == ["a", "b", "c"]


# -- resolve_operation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("form,service,name", [
    ({"Action": "GetUser", "Version": "2010-05-08"}, "iam", "GetUser"),
    ({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, "sts", "GetCallerIdentity"),
    ({"Action": "GetCallerIdentity"}, "sts", "GetCallerIdentity"),
    ({"Action": "ListRoles"}, "iam", "ListRoles"),
])
def test_resolve_operation(form, service, name):
    found_service, operation = model.resolve_operation(form)
    assert (found_service, operation.name) == (service, name)
    assert operation is model.operation_model(service, name)


@pytest.mark.parametrize("form,error,message", [
    ({}, errors.MissingAction, "Could not find operation to perform"),
    ({"Action": "", "Version": "2010-05-08"}, errors.MissingAction, "Could not find operation to perform"),
    ({"Action": "Nope", "Version": "2010-05-08"}, errors.InvalidAction,
     "Could not find operation Nope for version 2010-05-08"),
    ({"Action": "AssumeRole", "Version": "2010-05-08"}, errors.InvalidAction,
     "Could not find operation AssumeRole for version 2010-05-08"),
    ({"Action": "GetUser", "Version": "2011-06-15"}, errors.InvalidAction,
     "Could not find operation GetUser for version 2011-06-15"),
    ({"Action": "Nope"}, errors.InvalidAction, "Could not find operation Nope for version NO_VERSION_SPECIFIED"),
    # A Version that is neither service's API version answers nothing, even for a known Action
    # (AWS's answer for a Query API: aws/aws-cli issue #37, "Could not find operation ... for version ...").
    ({"Action": "ListUsers", "Version": "2011-01-01"}, errors.InvalidAction,
     "Could not find operation ListUsers for version 2011-01-01"),
    ({"Action": "AssumeRole", "Version": "1999-01-01"}, errors.InvalidAction,
     "Could not find operation AssumeRole for version 1999-01-01"),
])
def test_resolve_operation_errors(form, error, message):
    with pytest.raises(error) as caught:
        model.resolve_operation(form)
    assert caught.value.message == message


def test_services_share_no_action():
    assert not set(model.operation_names("iam")) & set(model.operation_names("sts"))
    assert model.service_model("iam") is model.service_model("iam")


# -- golden XML ----------------------------------------------------------------------------------------

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
USER = {"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE", "Arn": "arn:aws:iam::111111111111:user/alice",
        "CreateDate": WHEN}


def golden(service, name, result, request_id="rid"):
    return encode.encode_result(service, model.operation_model(service, name), result, request_id).decode()


def test_golden_get_user():
    user = {**USER, "Tags": [{"Key": "k", "Value": "a&b<c>"}], "PasswordLastUsed": None}
    assert golden("iam", "GetUser", {"User": user}) == (
        f'<GetUserResponse xmlns="{IAM_NS}"><GetUserResult><User><Path>/</Path><UserName>alice</UserName>'
        "<UserId>AIDAEXAMPLE</UserId><Arn>arn:aws:iam::111111111111:user/alice</Arn>"
        "<CreateDate>2024-01-02T03:04:05Z</CreateDate><Tags><member><Key>k</Key><Value>a&amp;b&lt;c&gt;</Value>"
        "</member></Tags></User></GetUserResult><ResponseMetadata><RequestId>rid</RequestId>"
        "</ResponseMetadata></GetUserResponse>")


def test_golden_create_access_key():
    key = {"UserName": "alice", "AccessKeyId": "AKIAEXAMPLE", "Status": "Active", "SecretAccessKey": "s/+=",
           "CreateDate": datetime(2024, 1, 2, 4, 4, 5, 999, tzinfo=timezone(timedelta(hours=1)))}
    assert golden("iam", "CreateAccessKey", {"AccessKey": key}) == (
        f'<CreateAccessKeyResponse xmlns="{IAM_NS}"><CreateAccessKeyResult><AccessKey><UserName>alice</UserName>'
        "<AccessKeyId>AKIAEXAMPLE</AccessKeyId><Status>Active</Status><SecretAccessKey>s/+=</SecretAccessKey>"
        "<CreateDate>2024-01-02T03:04:05Z</CreateDate></AccessKey></CreateAccessKeyResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></CreateAccessKeyResponse>")


def test_golden_list_users():
    result = {"Users": [USER, {**USER, "UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}]}],
              "IsTruncated": False}
    user = ("<member><Path>/</Path><UserName>{}</UserName><UserId>AIDAEXAMPLE</UserId>"
            "<Arn>arn:aws:iam::111111111111:user/alice</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></member>")
    assert golden("iam", "ListUsers", result) == (
        f'<ListUsersResponse xmlns="{IAM_NS}"><ListUsersResult><Users>{user.format("alice")}'
        f"{user.format('bob')}</Users><IsTruncated>false</IsTruncated></ListUsersResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListUsersResponse>")
    assert "<Users></Users>" in golden("iam", "ListUsers", {"Users": [], "IsTruncated": "true"})


def test_golden_get_caller_identity():
    result = {"UserId": "AIDAEXAMPLE", "Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/alice"}
    assert golden("sts", "GetCallerIdentity", result) == (
        f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult><UserId>AIDAEXAMPLE</UserId>'
        "<Account>111111111111</Account><Arn>arn:aws:iam::111111111111:user/alice</Arn></GetCallerIdentityResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>")


def test_golden_no_output_shape():
    assert golden("iam", "DeleteUser", None) == (
        f'<DeleteUserResponse xmlns="{IAM_NS}"><ResponseMetadata><RequestId>rid</RequestId>'
        "</ResponseMetadata></DeleteUserResponse>")


def test_golden_policy_document_and_omissions():
    doc = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},' \
          '"Action":"sts:AssumeRole"}}'
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROA", "Arn": "arn:aws:iam::111111111111:role/r",
            "CreateDate": WHEN, "AssumeRolePolicyDocument": doc, "Description": "d", "MaxSessionDuration": 3600,
            "RoleLastUsed": {}}
    body = golden("iam", "CreateRole", {"Role": role})
    assert ("<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22"
            "%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A"
            "%22sts%3AAssumeRole%22%7D%7D</AssumeRolePolicyDocument>") in body
    assert "Description" not in body and "MaxSessionDuration" not in body and "RoleLastUsed" not in body
    body = golden("iam", "GetRole", {"Role": role})
    assert "<Description>d</Description><MaxSessionDuration>3600</MaxSessionDuration>" \
           "<RoleLastUsed></RoleLastUsed>" in body


def test_golden_errors():
    body = encode.encode_error("iam", errors.NoSuchEntity("The user with name <x> cannot be found."), "rid")
    assert body.decode() == (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
        "<Message>The user with name &lt;x&gt; cannot be found.</Message></Error>"
        "<RequestId>rid</RequestId></ErrorResponse>")
    body = encode.encode_error("sts", errors.ServiceFailure("boom"), "r2").decode()
    assert body.startswith(f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Receiver</Type>')
    assert "<Message>" not in encode.encode_error("iam", errors.ReportNotPresent(), "r").decode()


def test_errors_parse_with_botocore():
    operation = model.operation_model("iam", "GetUser")
    body = encode.encode_error("iam", errors.NoSuchEntity("gone & lost"), "rid")
    parsed = parsers.create_parser("query").parse({"body": body, "headers": {}, "status_code": 404},
                                                   operation.output_shape)
    assert parsed["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": "gone & lost"}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_error_classes_agree_with_models():
    classes = {c.code: c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.AwsError)}
    checked = 0
    for service in model.SERVICES:
        for shape in model.service_model(service).error_shapes:
            meta = shape.metadata.get("error", {})
            ours = classes.get(meta.get("code", shape.name))
            if ours is None or "httpStatusCode" not in meta:
                continue
            checked += 1
            assert ours.status == meta["httpStatusCode"], shape.name
            assert ours.sender_fault == bool(meta.get("senderFault")), shape.name
    assert checked >= 15


def test_scalars_given_as_strings_still_encode():
    body = golden("iam", "GetAccountPasswordPolicy",
                  {"PasswordPolicy": {"MinimumPasswordLength": "8", "RequireSymbols": "True",
                                      "ExpirePasswords": False, "MaxPasswordAge": 90}})
    assert ("<MinimumPasswordLength>8</MinimumPasswordLength><RequireSymbols>true</RequireSymbols>"
            in body and "<ExpirePasswords>false</ExpirePasswords><MaxPasswordAge>90</MaxPasswordAge>" in body)
    body = golden("iam", "GetCredentialReport", {"Content": "user,arn\n", "ReportFormat": "text/csv",
                                                 "GeneratedTime": "2024-01-02T03:04:05Z"})
    assert "<Content>dXNlcixhcm4K</Content>" in body and "<GeneratedTime>2024-01-02T03:04:05Z<" in body


# -- scalar types and maps via a small synthetic Query model ----------------------------------------

SYNTHETIC = {
    "metadata": {"apiVersion": "2020-01-01", "protocol": "query", "serviceId": "Synth",
                 "endpointPrefix": "synth", "signatureVersion": "v4",
                 "xmlNamespace": "https://example.com/doc/2020-01-01/"},
    "operations": {"Op": {"name": "Op", "http": {"method": "POST", "requestUri": "/"},
                          "input": {"shape": "In"},
                          "output": {"shape": "In", "resultWrapper": "OpResult"}}},
    "shapes": {
        "In": {"type": "structure", "members": {
            "When": {"shape": "Time"}, "Data": {"shape": "Blob"}, "Big": {"shape": "Long"},
            "Ratio": {"shape": "Double"}, "Flag": {"shape": "Bool"}, "Props": {"shape": "Props"},
            "Named": {"shape": "NamedList", "locationName": "Renamed"}, "Nest": {"shape": "In2"}}},
        "In2": {"type": "structure", "members": {"Items": {"shape": "Props"}, "S": {"shape": "Str"}}},
        "Time": {"type": "timestamp"}, "Blob": {"type": "blob"}, "Long": {"type": "long"},
        "Double": {"type": "double"}, "Bool": {"type": "boolean"}, "Str": {"type": "string"},
        "Props": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "NamedList": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
    },
}


@pytest.fixture(scope="module")
def synth():
    return botocore.model.ServiceModel(SYNTHETIC, "synth").operation_model("Op")


PARAMS = {"When": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "Data": b"\x00\x01\xff", "Big": 2**40,
          "Ratio": 0.25, "Flag": False, "Props": {"a": "1", "b": ""}, "Named": ["x", "y"],
          "Nest": {"Items": {"k": "v"}, "S": "s"}}


def test_synthetic_roundtrip_in(synth):
    request = serialize.create_serializer("query").serialize_to_request(PARAMS, synth)
    body = AWSRequest(method="POST", url="https://x/", data=request["body"]).prepare().body
    assert "Renamed.item.2=y" in body and "Props.entry.1.key=a" in body
    assert decode.decode_params(synth, decode.parse_form(body)) == PARAMS


def test_synthetic_roundtrip_out(synth):
    params = {**PARAMS, "When": PARAMS["When"].replace(microsecond=0)}
    body = encode.encode_result("iam", synth, params, "r")
    parsed = parsers.create_parser("query").parse({"body": body, "headers": {}, "status_code": 200},
                                                   synth.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == params


@pytest.mark.parametrize("form,fragment", [
    ({"When": "yesterday"}, "'when' failed to satisfy constraint: Member must be a timestamp"),
    ({"Data": "not base64!"}, "'data' failed to satisfy constraint: Member must be base64-encoded"),
    ({"Big": "1e3"}, "'big' failed to satisfy constraint: Member must be a long"),
    ({"Ratio": "x"}, "'ratio' failed to satisfy constraint: Member must be a number"),
    ({"Nest.Items.entry.1.key": "k", "Flag": "yes"}, "'flag' failed to satisfy constraint: Member must be a boolean"),
])
def test_synthetic_bad_scalars(synth, form, fragment):
    with pytest.raises(errors.ValidationError) as caught:
        decode.decode_params(synth, form)
    assert fragment in caught.value.message


@pytest.mark.parametrize("text,expected", [
    ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05.5Z", datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
    ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("1704164645", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("nonsense", None), ("", None), ("99999999999999999999", None),
])
def test_parse_timestamp(text, expected):
    assert decode.parse_timestamp(text) == expected
