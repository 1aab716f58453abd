"""The compiled encoder (protocol/encode.py: strings written inline, timestamps formatted once per value)
writes exactly the bytes of a plain recursive encoder that follows the model with no shortcut."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest

from iamd.protocol import encode, model
from iamd.protocol.omissions import omission_tree
from tests.unit.protocol.protocol_shapegen import value_for

WITH_OUTPUT = [(s, op) for s in model.SERVICES for op in model.operation_names(s)
               if model.operation_model(s, op).output_shape is not None]


def reference(shape, value, omit, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if omit.get(name) == {} or value.get(name) is None:
                continue
            tag = member.serialization.get("name", name)
            out.append(f"<{tag}>")
            reference(member, value[name], omit.get(name) or {}, out)
            out.append(f"</{tag}>")
    elif kind == "list":
        tag = shape.member.serialization.get("name", "member")
        for item in value:
            if item is not None:
                out.append(f"<{tag}>")
                reference(shape.member, item, omit, out)
                out.append(f"</{tag}>")
    elif kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        for key, item in value.items():
            if item is not None:
                out.append(f"<entry><{key_tag}>")
                reference(shape.key, key, {}, out)
                out.append(f"</{key_tag}><{value_tag}>")
                reference(shape.value, item, omit, out)
                out.append(f"</{value_tag}></entry>")
    elif kind == "timestamp" and isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        out.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    elif kind == "string" and shape.name not in encode.POLICY_DOCUMENT_SHAPES:
        out.append(encode.escape(value if isinstance(value, str) else str(value)))
    else:  # the scalar encoders themselves: not what this test is about
        encode._compile(shape, omit, 0)(value, out)


def reference_body(service: str, name: str, result) -> bytes:
    operation = model.operation_model(service, name)
    wrapper = operation.output_shape.serialization.get("resultWrapper", f"{name}Result")
    out = [f'<{name}Response xmlns="{encode.NAMESPACES[service]}"><{wrapper}>']
    reference(operation.output_shape, result, omission_tree(name), out)
    out.append(f"</{wrapper}><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{name}Response>")
    return "".join(out).encode()


@pytest.mark.parametrize("service,name", WITH_OUTPUT)
@pytest.mark.parametrize("variant", [0, 1])
def test_same_bytes_as_the_plain_encoder(service, name, variant):
    result = value_for(model.operation_model(service, name).output_shape, variant)
    body = encode.encode_result(service, model.operation_model(service, name), result, "r-1")
    assert body == reference_body(service, name, result)


# Not a StrEnum: str() of this one is "Kind.USER", and a str member must be written as its value.
class Kind(str, enum.Enum):  # noqa: UP042
    USER = "user & <co>"


@pytest.mark.parametrize("value", ["plain", "a & <b> \r c", "\x01bad\ufffe", Kind.USER, 42, ""])
def test_string_members_of_any_type(value):
    user = {"Path": value, "UserName": "n", "UserId": "i", "Arn": "a",
            "CreateDate": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}
    assert (encode.encode_result("iam", model.operation_model("iam", "GetUser"), {"User": user}, "r-1")
            == reference_body("iam", "GetUser", {"User": user}))


def test_timestamps_formatted_once_per_value_stay_right():
    base = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    values = [base, base.replace(tzinfo=None), base.astimezone(timezone(timedelta(hours=5, minutes=30))),
              base + timedelta(seconds=1), datetime(1999, 12, 31, 23, 59, 59)]
    for _ in range(2):  # the second time from the cache
        assert [encode.format_timestamp(value) for value in values] == [
            "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04:06Z",
            "1999-12-31T23:59:59Z"]


def test_timestamp_cache_is_bounded():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for second in range(encode._FORMATTED_MAX + 10):
        encode.format_timestamp(start + timedelta(seconds=second))
    assert len(encode._FORMATTED) <= encode._FORMATTED_MAX
    assert encode.format_timestamp(start) == "2020-01-01T00:00:00Z"
