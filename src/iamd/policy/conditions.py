"""The one registry of condition operators, shared by checks.py and evaluation.

Each operator is an :class:`Operator`: how a policy value is prepared (once, at parse time), how a
prepared value is tested against one request value, whether it is negated, whether policy variables
may appear in its values, and how checks.py validates a value. An operator name that is not in
``OPERATORS`` (after stripping ``ForAllValues:``/``ForAnyValue:`` and ``IfExists``) is unknown:
checks.py reports it and :func:`compile_condition` raises, so an unknown operator can never be
silently true.

Semantics (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued context keys"):

* Several operators in a block, and several keys under one operator: all must hold (AND).
  Several values for one key: any may match (OR); for a negated operator none may match.
* Key names are case-insensitive. Values compare as the operator says (StringEquals is exact,
  StringEqualsIgnoreCase is not, ArnLike is case-sensitive and field by field ...).
* Key absent from the request: the condition is false, except that a negated operator
  (StringNotEquals, ArnNotLike, NotIpAddress ...) is then true; ``...IfExists`` is then true;
  ``ForAllValues:`` is then true and ``ForAnyValue:`` false (an empty list counts as absent).
  ``Null`` tests presence itself: ``"true"`` holds when the key is absent, ``"false"`` when present.
* ``ForAllValues:op``: every request value satisfies op; ``ForAnyValue:op``: at least one does.
* A multivalued key (values.py: a list in the request, even of one member) under an operator without
  ``ForAllValues:``/``ForAnyValue:`` does not match, negated operator or not, and ``...IfExists``
  changes nothing since the key exists. Multivalued keys need a set operator (IAM User Guide,
  "Single-valued vs. multivalued context keys"); AWS's simulator answered implicitDeny
  for a ``stringList`` entry under StringEquals whose one value was equal. ``Null`` still tests
  presence, as the guide's examples use it on aws:TagKeys.
* A policy value whose variable cannot be resolved matches nothing; if no value of a key is
  resolvable, that key's test is false, negated operator or not.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from .dates import is_valid_date, parse_date
from .values import Context, MultiValue
from .variables import Template, parse_template
from .wildcard import Segments, compile_arn, compile_like, compile_segments

__all__ = ["Operator", "OPERATORS", "Condition", "resolve_operator", "compile_condition", "UNPREPARED"]

UNPREPARED = object()  # a policy value the operator cannot read: it matches nothing


@dataclass(frozen=True, eq=False)
class Operator:
    name: str
    family: str
    negated: bool
    prepare: Callable[[str], object]  # policy value text -> prepared value (raise ValueError if bad)
    test: Callable[[object, str], bool]  # prepared policy value, request value -> positive match
    variables: bool = False  # policy variables allowed in values
    from_segments: Callable[[Segments], object] | None = None  # prepare a value rendered from variables
    valid: Callable[[str], bool] | None = None  # checks.py: False -> "The policy failed legacy parsing"


P = TypeVar("P")  # an operator's prepared policy value


def _operator(
    name: str,
    family: str,
    negated: bool,
    prepare: Callable[[str], P],
    test: Callable[[P, str], bool],
    variables: bool = False,
    from_segments: Callable[[Segments], P] | None = None,
    valid: Callable[[str], bool] | None = None,
) -> Operator:
    """An Operator whose prepare, from_segments and test are checked to agree on the prepared type.
    The registry holds operators of every type, so Operator stores ``test`` for ``object``."""
    # Sound: test is only ever given what this operator's prepare or from_segments returned.
    erased = cast(Callable[[object, str], bool], test)
    return Operator(name, family, negated, prepare, erased, variables, from_segments, valid)


def _text(segments: Segments) -> str:
    return "".join(text for text, _p in segments)


def _number(text: str) -> float:
    value = float(text)
    if value != value:
        raise ValueError("NaN")
    return value


def _num_test(compare: Callable[[float, float], bool]) -> Callable[[float, str], bool]:
    def test(policy: float, request: str) -> bool:
        try:
            return compare(_number(request), policy)
        except ValueError:
            return False

    return test


def _date_test(compare: Callable[[float, float], bool]) -> Callable[[float, str], bool]:
    def test(policy: float, request: str) -> bool:
        try:
            return compare(parse_date(request), policy)
        except ValueError:
            return False

    return test


def _b64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _binary_test(policy: bytes, request: str) -> bool:
    try:
        return _b64(request) == policy
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip_test(policy: Network, request: str) -> bool:
    try:
        address = ipaddress.ip_address(request.strip())
    except ValueError:
        try:
            network = ipaddress.ip_network(request.strip(), strict=False)
        except ValueError:
            return False
        # subnet_of needs two networks of one version: the version test, spelled for the checker
        if isinstance(network, ipaddress.IPv4Network) and isinstance(policy, ipaddress.IPv4Network):
            return network.subnet_of(policy)
        if isinstance(network, ipaddress.IPv6Network) and isinstance(policy, ipaddress.IPv6Network):
            return network.subnet_of(policy)
        return False
    return address.version == policy.version and address in policy


def _ip_prepare(text: str) -> Network:
    return ipaddress.ip_network(text.strip(), strict=False)


def _build() -> dict[str, Operator]:
    ops: list[Operator] = []
    for negated, name in ((False, "StringEquals"), (True, "StringNotEquals")):
        ops.append(_operator(name, "String", negated, str, str.__eq__, True, _text))
    for negated, name in ((False, "StringEqualsIgnoreCase"), (True, "StringNotEqualsIgnoreCase")):
        ops.append(
            _operator(
                name, "String", negated, str.lower, lambda p, v: p == v.lower(), True, lambda s: _text(s).lower()
            )
        )
    for negated, name in ((False, "StringLike"), (True, "StringNotLike")):
        ops.append(_operator(name, "String", negated, compile_like, lambda p, v: p.match(v), True, compile_segments))
    numeric: dict[str, tuple[bool, Callable[[float, float], bool]]] = {
        "NumericEquals": (False, lambda r, p: r == p),
        "NumericNotEquals": (True, lambda r, p: r == p),
        "NumericLessThan": (False, lambda r, p: r < p),
        "NumericLessThanEquals": (False, lambda r, p: r <= p),
        "NumericGreaterThan": (False, lambda r, p: r > p),
        "NumericGreaterThanEquals": (False, lambda r, p: r >= p),
    }
    for name, (negated, compare) in numeric.items():
        ops.append(_operator(name, "Numeric", negated, _number, _num_test(compare)))
    for suffix, (negated, compare) in {k[len("Numeric") :]: v for k, v in numeric.items()}.items():
        ops.append(_operator("Date" + suffix, "Date", negated, parse_date, _date_test(compare), valid=is_valid_date))
    ops.append(_operator("Bool", "Bool", False, str.lower, lambda p, v: p == v.lower()))
    ops.append(_operator("BinaryEquals", "Binary", False, _b64, _binary_test))
    ops.append(_operator("IpAddress", "IpAddress", False, _ip_prepare, _ip_test))
    ops.append(_operator("NotIpAddress", "IpAddress", True, _ip_prepare, _ip_test))
    arn_segments = lambda segments: compile_segments(segments, arn=True)  # noqa: E731
    for negated, name in ((False, "ArnEquals"), (False, "ArnLike"), (True, "ArnNotEquals"), (True, "ArnNotLike")):
        ops.append(_operator(name, "Arn", negated, compile_arn, lambda p, v: p.match(v), True, arn_segments))
    ops.append(_operator("Null", "Null", False, str.lower, lambda p, v: False))
    return {op.name.lower(): op for op in ops}


OPERATORS: Mapping[str, Operator] = _build()
QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}


def resolve_operator(name: str) -> tuple[Operator, str | None, bool] | None:
    """(operator, qualifier, if_exists) for a condition operator name, or None when unknown.

    Names are matched case-insensitively. ``Null`` takes neither a qualifier nor ``IfExists``.
    """
    qualifier = None
    rest = name
    if ":" in name:
        prefix, _, rest = name.partition(":")
        qualifier = QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            return None
    lowered = rest.lower()
    if_exists = lowered.endswith("ifexists")
    if if_exists:
        lowered = lowered[: -len("ifexists")]
    op = OPERATORS.get(lowered)
    if op is None or (op.family == "Null" and (qualifier or if_exists)):
        return None
    return op, qualifier, if_exists


class Condition:
    """One (operator, key, values) test, compiled.

    ``values`` are the policy values as written; ``prepared`` holds, per value, the prepared form
    or a :class:`Template` when the value has policy variables (rendered per request).
    """

    __slots__ = ("operator_name", "op", "qualifier", "if_exists", "key", "key_lower", "values", "prepared", "static")

    def __init__(self, operator_name: str, key: str, values: tuple[str, ...], allow_variables: bool) -> None:
        resolved = resolve_operator(operator_name)
        if resolved is None:
            raise ValueError(f"unknown condition operator {operator_name!r}")
        self.operator_name = operator_name
        self.op, self.qualifier, self.if_exists = resolved
        self.key = key
        self.key_lower = key.lower()
        self.values = values
        prepared: list[object] = []
        for value in values:
            template = parse_template(value) if (allow_variables and self.op.variables) else None
            if template is not None:
                prepared.append(template)
                continue
            try:
                prepared.append(self.op.prepare(value))
            except (ValueError, binascii.Error, UnicodeEncodeError):
                prepared.append(UNPREPARED)
        self.static = not any(isinstance(p, Template) for p in prepared)
        self.prepared = tuple(p for p in prepared if p is not UNPREPARED) if self.static else tuple(prepared)

    def variable_keys(self) -> tuple[str, ...]:
        return tuple(k for p in self.prepared if isinstance(p, Template) for k in p.keys)

    def _policy_values(self, context: Context) -> tuple[object, ...]:
        if self.static:
            return self.prepared
        out: list[object] = []
        for prepared in self.prepared:
            if isinstance(prepared, Template):
                segments = prepared.render(context)
                if segments is None:
                    continue
                # an operator that allows variables has from_segments (each one in _build does)
                assert self.op.from_segments is not None
                prepared = self.op.from_segments(segments)
            if prepared is not UNPREPARED:
                out.append(prepared)
        return tuple(out)

    def holds(self, context: Context) -> bool:
        """Whether this test holds for a request context (lower-case key -> tuple of values)."""
        request = context.get(self.key_lower)
        if request is not None and not request:
            request = None
        op = self.op
        if op.family == "Null":
            present = request is not None
            return any((p == "true" and not present) or (p == "false" and present) for p in self.prepared)
        if request is None:
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return op.negated
        if self.qualifier is None and isinstance(request, MultiValue):
            return False  # a single-valued operator cannot compare a set
        policy = self._policy_values(context)
        if not policy:
            return False
        test = op.test
        if self.qualifier is None:
            found = False
            for value in request:
                for p in policy:
                    if test(p, value):
                        found = True
                        break
                if found:
                    break
            return found != op.negated
        results = (any(test(p, value) for p in policy) != op.negated for value in request)
        return all(results) if self.qualifier == "ForAllValues" else any(results)

    def __repr__(self) -> str:
        return f"Condition({self.operator_name!r}, {self.key!r}, {self.values!r})"


def compile_condition(operator_name: str, key: str, values: tuple[str, ...], allow_variables: bool = True) -> Condition:
    """Compile one test; ValueError for an unknown operator."""
    return Condition(operator_name, key, values, allow_variables)
