"""web/authorization_api.py's answer text: a described principal's JSON made once and spliced in must be
exactly json.dumps's text of the whole answer (the wire does not change)."""

from __future__ import annotations

import json

from iamd.service.authorization_api.principals import Described
from iamd.web.authorization_api import _answer_text


def test_a_spliced_principal_gives_json_dumps_text():
    principal = Described({"Arn": "arn:aws:iam::123456789012:user/zoë", "Tags": {"team": "red \"q\""},
                           "AccessKeyId": "AKIAEXAMPLE"})
    result = {"Authenticated": True, "Principal": principal, "Signature": {"Region": "us-east-1"},
              "Results": [{"Action": "orders:GetOrder", "Allowed": True, "MatchedStatements": []}]}
    assert principal.text == json.dumps(dict(principal))
    assert _answer_text(result) == json.dumps(result)
    plain = {"Authenticated": False, "Error": {"Code": "InvalidClientTokenId", "Message": "x"}}
    assert _answer_text(plain) == json.dumps(plain)
