"""Arbitrary forms and bodies: only AwsError subclasses may come out, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iamd import errors
from iamd.protocol import decode, model

OPS = [("iam", "CreatePolicy"), ("iam", "PutAccountProperties"), ("iam", "SimulatePrincipalPolicy"),
       ("iam", "UpdateAccountPasswordPolicy"), ("sts", "AssumeRole"), ("iam", "AcquireRole")]

SEGMENTS = st.sampled_from(["Tags", "member", "entry", "key", "value", "Key", "Value", "1", "2", "0", "01",
                            "x", "", "PolicyName", "PolicyDocument", "MaxPasswordAge", "RequireSymbols",
                            "RoleArn", "DurationSeconds", "PolicyArns", "arn", "Properties",
                            "ReplacementValues", "PolicyExclusionList", "PolicyType", "ContextEntries",
                            "ContextKeyValues", "ContextKeyType", "-1", "99999999999999999999"])
KEYS = st.lists(SEGMENTS, min_size=1, max_size=6).map(".".join)
VALUES = st.one_of(st.text(max_size=20), st.sampled_from(["true", "maybe", "12", "-5", "1e3", "", "v1"]))


@pytest.mark.parametrize("service,name", OPS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(KEYS, VALUES, max_size=12))
def test_decode_only_raises_aws_errors(service, name, form):
    operation = model.operation_model(service, name)
    try:
        decode.decode_params(operation, form)
    except errors.AwsError as e:
        assert isinstance(e, errors.ValidationError) and e.message


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_parse_form_only_raises_aws_errors(body):
    try:
        form = decode.parse_form(body)
    except errors.MalformedQueryString:
        return
    try:
        model.resolve_operation(form)
    except (errors.MissingAction, errors.InvalidAction):
        pass


_XML_CHAR = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr),
                      st.sampled_from("\x00\x01\x0b\r\ufffe\uffff&<>"))


@settings(max_examples=500, deadline=None)
@given(text=st.text(_XML_CHAR, max_size=40))
def test_escaped_text_is_always_xml(text):
    """XML 1.0 section 2.2 (Char): what it cannot hold becomes U+FFFD; everything else survives a parse."""
    import xml.etree.ElementTree as ET

    from iamd.protocol.encode import escape

    parsed = ET.fromstring(f"<a>{escape(text)}</a>".encode()).text or ""
    expected = "".join(c if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD
                       or ord(c) >= 0x10000 else "\ufffd" for c in text)
    assert parsed == expected


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.sampled_from("ab=&+%;2F é\x00"), max_size=30))
def test_parse_form_agrees_with_parse_qsl(text):
    """parse_form's own split (a form with nothing to unquote) gives what parse_qsl gives."""
    from urllib.parse import parse_qsl

    try:
        expected = dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeError:
        expected = None
    try:
        form = decode.parse_form(text)
    except errors.MalformedQueryString:
        assert expected is None or "%" in text
        return
    assert form == expected


def test_parse_form_field_limit_without_escapes():
    with pytest.raises(errors.MalformedQueryString):
        decode.parse_form("a=1&" * decode.MAX_FORM_FIELDS)
    assert len(decode.parse_form("&".join(f"a{i}=1" for i in range(decode.MAX_FORM_FIELDS)))) == decode.MAX_FORM_FIELDS
