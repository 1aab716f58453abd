"""Property test: whatever members a request carries (types a model allows or not), the mapping gives
items of strings or refuses with Unclassified; it never fails otherwise (a 500 at the edge)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from iamd.gateway.classify import Identified, ServiceRequest, Unclassified
from iamd.gateway.mapping import PRECISE_SERVICES, authorization_items
from tests.unit.gateway.botocore_requests import client

_OPERATIONS = sorted((service, op) for service in PRECISE_SERVICES
                     for op in client(service).meta.service_model.operation_names)
_OPERATIONS += [("ec2", "RunInstances"), ("cloudformation", "CreateStack"), ("logs", "TagResource")]
_MEMBER_NAMES = sorted({name for service in PRECISE_SERVICES
                        for op in client(service).meta.service_model.operation_names
                        for shape in [client(service).meta.service_model.operation_model(op).input_shape]
                        if shape is not None for name in shape.members})

_MEMBER_NAMES += ["Tags", "TagKeys", "TagSpecifications", "Tagging", "tags"]

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["arn:aws:sqs:us-east-1:123456789012:q", "alias/a", "http://h/123456789012/q",
                       "arn:aws:lambda:us-east-1:1:function:f:1", "a=b&c=d"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["S", "N", "Key", "Value", "Put", "Item", "TableName", "Keys",
                                       "Objects", "Get", "Region", "TagSet"]) | st.text(max_size=5),
                      children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_OPERATIONS), st.dictionaries(st.sampled_from(_MEMBER_NAMES), _values, max_size=5))
def test_mapping_never_fails_but_by_refusing(operation: tuple[str, str], params: dict[str, Any]) -> None:
    service, name = operation
    request = ServiceRequest(Identified(service, name, "json", False), params, "us-east-1")
    try:
        items = authorization_items(request, "123456789012")
    except Unclassified:
        return
    assert items
    for item in items:
        assert isinstance(item.action, str) and ":" in item.action
        assert isinstance(item.resource, str) and (item.resource == "*" or item.resource.startswith("arn:"))
        for key, value in item.context.items():
            assert isinstance(key, str)
            assert isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
