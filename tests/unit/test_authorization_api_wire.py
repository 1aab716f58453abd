"""web/authorization_api.py's own JSON and counting: the body read as json.loads reads it and the answer
written as json.dumps writes it (each by a cheaper way), and a call's decisions counted once at its end,
the same totals as one by one. The API's answers themselves: tests/api/test_authorization_api.py."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.requests import Request

from iamd.cli.bootstrap import open_state
from iamd.client import request_material
from iamd.config import Settings
from iamd.errors import ValidationError
from iamd.service.authorization_api.permission import ALLOWED, DENIED
from iamd.service.runtime import new_environment
from iamd.web.api import QueryApi
from iamd.web.authorization_api import _ANSWER, AuthorizationApi, _json_body

ACCOUNT, ROOT_KEY, ROOT_SECRET = "123456789012", "AKIAROOTROOTROOT0001", "root-secret-root-secret-root-secret-0001"
HOST = "iamd.test"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

BODIES = [b"{}", b"{} ", b"{}\n\t\r ", b"{}\x0c", b"{} x", b'{"a":1}{}', b'{"a": [1, 2.5, NaN, -Infinity, null, true]}',
          '{"\u20ac": "\u00e9"}'.encode(), b'{"a":"\\ud800"}', b'{"a":"\xed\xa0\x80"}', b"{", b'{"a":}', b"{\0",
          b'{"a":1,}', b"{'a':1}", b'{"a":1}\xa0', b'{"a":"\xff"}', '{"\u00e9": 1}'.encode("utf-16-le"),
          '{"\u00e9": 1}'.encode("utf-16"), '{"\u00e9": 1}'.encode("utf-8-sig"), b" {}", b"[]", b"1", b"", b"  \n",
          b'{"a": {"b": [{}]}, "a": 2}']


def _loads_as_before(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ValidationError("The request body must be a JSON object.")
    return value


def _outcome(read, body: bytes):
    try:
        return "value", read(body)
    except ValidationError as error:
        return "refused", error.message


@pytest.mark.parametrize("body", BODIES)
def test_the_body_reads_as_json_loads_reads_it(body):
    expected = _outcome(_loads_as_before, body)
    assert repr(_outcome(_json_body, body)) == repr(expected)  # repr: NaN is not equal to itself


@pytest.mark.parametrize("answer", [
    {"Authenticated": True, "Principal": {"Arn": "arn:aws:iam::123456789012:user/\u00e9", "Tags": {}},
     "Results": [{"Allowed": False, "MatchedStatements": [], "Line": 1, "Ratio": 2.5}]},
    {"a": "\u2028\ud800\"\\\n", "b": [None, True, float("nan"), float("inf"), -0.0, 10**30], 1: 2, None: 3, 2.5: 1},
])
def test_the_answer_is_written_as_json_dumps_writes_it(answer):
    assert _ANSWER(answer) == json.dumps(answer)


def test_a_calls_decisions_are_counted_once_with_the_same_totals(tmp_path):
    """A one-pair VerifyAndAuthorize counts its three decisions (the caller's two and the pair's), allowed
    or denied; material that does not verify counts the caller's one; so does bad input after it."""
    state = open_state(Settings(data_dir=str(tmp_path), account_id=ACCOUNT, root_access_key_id=ROOT_KEY,
                                root_secret_access_key=ROOT_SECRET, audit=False))
    try:
        env = new_environment(state.box)
        query, authz = QueryApi(state.store, env), AuthorizationApi(state.store, env)

        def iam(params: dict) -> str:
            body = urlencode({"Version": "2010-05-08", **params})
            status, content, _ = query.handle(*_request(_signed("iam", "/", "POST", body, ROOT_KEY, ROOT_SECRET,
                                                                {"Content-Type": FORM})))
            assert status == 200, content
            return content.decode()

        def new_key(user: str, policy: str) -> tuple[str, str]:
            iam({"Action": "CreateUser", "UserName": user})
            iam({"Action": "PutUserPolicy", "UserName": user, "PolicyName": "p", "PolicyDocument": policy})
            created = iam({"Action": "CreateAccessKey", "UserName": user})
            return (created.split("<AccessKeyId>")[1].split("<")[0],
                    created.split("<SecretAccessKey>")[1].split("<")[0])

        service = new_key("orders-service", _allow("iamd:VerifySignature", "iamd:Authorize"))
        alice = new_key("alice", _allow("orders:GetOrder"))
        signed = _signed("orders", "/orders/o-1", "GET", "", *alice, {}, parse=True)
        material = request_material("GET", "/orders/o-1", "", {"Host": HOST, **dict(signed.headers.items())})

        def counted(params: dict) -> tuple[float, float]:
            before = ALLOWED.value, DENIED.value
            raw = _signed("iamd", "/", "POST", json.dumps({"Request": material, **params}), *service,
                          {"Content-Type": "application/x-amz-json-1.1",
                           "X-Amz-Target": "IamdAuthorization.VerifyAndAuthorize"})
            status, content, _ = authz.handle(*_request(raw))
            assert (b'"Authenticated": true' in content) == (status == 200 and "Request" not in params), content
            return ALLOWED.value - before[0], DENIED.value - before[1]

        assert counted({"Actions": ["orders:GetOrder"], "Resources": ["*"]}) == (3, 0)
        assert counted({"Actions": ["orders:CancelOrder"], "Resources": ["*"]}) == (2, 1)
        assert counted({"Actions": ["orders:GetOrder", "orders:CancelOrder"], "Resources": ["*"]}) == (3, 1)
        assert counted({"Actions": "orders:GetOrder"}) == (1, 0)  # bad input, after the caller's first check
        forged = {**material, "Headers": [[n, v.replace("Signature=", "Signature=0")] for n, v in material["Headers"]]}
        assert counted({"Request": forged, "Actions": ["orders:GetOrder"], "Resources": ["*"]}) == (1, 0)
    finally:
        state.store.dispose()


def _allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                               "Resource": "*"}]})


def _signed(service: str, path: str, method: str, body: str, key: str, secret: str, headers: dict,
            parse: bool = False):
    """A request signed by botocore: raw HTTP/1.1 bytes, or (``parse``) the AWSRequest itself."""
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body or None, headers=headers)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    if parse:
        return request
    lines = "".join(f"{name}: {value}\r\n" for name, value in request.prepare().headers.items()
                    if name.lower() != "content-length")
    return f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{lines}\r\n{body}".encode()


def _request(raw: bytes) -> tuple[Request, bytes]:
    head, body = raw.split(b"\r\n\r\n", 1)
    headers = [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]]
    return Request({"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
                    "headers": [(name.lower(), value) for name, value in headers], "client": ("127.0.0.1", 1),
                    "scheme": "http", "server": ("127.0.0.1", 1)}), body
