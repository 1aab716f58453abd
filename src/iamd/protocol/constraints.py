"""Constraint checks on decoded params, worded as AWS words them.

``check_constraints(operation, params)`` (a botocore ``OperationModel``, whose service decides the
wording) walks the params against a plan compiled once per operation from botocore's model
(required, min/max length of strings, lists, maps and blobs, min/max value of integers, anchored
patterns, enums), collects every violation and raises one
``ValidationError``::

    1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must ...
    2 validation errors detected: ...; ...

IAM does not echo the value (``Value at 'x'``), STS does (``Value 'v' at 'x'``); a missing required
member is ``Value null at 'x' ... Member must not be null`` for both. Paths are the member names with
a lower-case first letter, list elements as ``tags.1.member.key``. A list of scalars whose elements
fail reports once, at the list, every constraint of the element shape in brackets (max, min, pattern,
enum), with ``Member must not be null`` last when the list itself is required (recorded for UntagPolicy's
required TagKeys and not for CreateOpenIDConnectProvider's optional lists; the rule is our reading).

Violations follow the model's member order, except where AWS was recorded otherwise (VIOLATION_ORDER).
A few members whose pattern AWS words with a message of its own (PATTERN_MESSAGES) raise that message
alone when the pattern is their only violation.
Patterns are Java regexes: ``\\w`` and ``\\d`` are ASCII, ``\\p{L}`` needs the ``regex`` package, and
``\\u10000-\\u10FFFF`` means the supplementary planes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sized
from typing import TYPE_CHECKING, Any

from botocore.model import OperationModel, Shape

from iamd import errors

if TYPE_CHECKING:
    import regex

# Top-level members in the order AWS reported them (recorded); members not named follow in model order.
VIOLATION_ORDER: dict[str, tuple[str, ...]] = {
    "UpdateAccountPasswordPolicy": ("MinimumPasswordLength", "PasswordReusePrevention", "MaxPasswordAge"),
    "CreateOpenIDConnectProvider": ("ClientIDList", "ThumbprintList", "Url"),
}

ECHOING_SERVICES = frozenset({"sts"})

# Members whose pattern failure AWS words on its own, as recorded, instead of the generic message.
PATTERN_MESSAGES: dict[tuple[str, str], str] = {
    ("CreateVirtualMFADevice", "Path"): "The specified value for path is invalid. It must begin and end with / and "
                                        "contain only alphanumeric characters and/or / characters.",
}

# A member's path ("tags.1.member.key"), its text built only when a violation names it: every member of
# every list and nested structure of a valid request would otherwise make its path string for nothing.
# Either the text itself or (the parent's path, an element's index or None, what follows).
MemberPath = str | tuple[Any, int | None, str]
# (value, path, violations found so far): appends the value's violations.
Checker = Callable[[object, MemberPath, list[errors.Problem]], None]
# (True when the value violates it, constraint text). A rule only sees values of its shape's type
# (_SCALAR_TYPES, or a list or dict), which the model decides at run time: hence Any.
Rule = tuple[Callable[[Any], bool], str]


def java_pattern(pattern: str) -> re.Pattern[str] | regex.Pattern:
    """Compile a model (Java) pattern for ``fullmatch``: by the standard library's ``re`` when it takes
    the pattern (a third of the ``regex`` package's cost a match: the user name of every request), by
    ``regex`` when it needs that package (``\\p{L}``); tests/unit/protocol/test_constraints.py checks that
    both match alike for every pattern of the models."""
    translated = _translated(pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # re's FutureWarning: a construct it would read otherwise
            return re.compile(translated)
    except (re.error, FutureWarning):
        import regex  # only for the few patterns re cannot take, at their operation's first request

        return regex.compile(translated)


def _translated(pattern: str) -> str:
    """A Java pattern in Python's syntax: \\w and \\d ASCII, the supplementary planes spelt Python's way."""
    pattern = pattern.replace("\\u10000-\\u10FFFF", "\\U00010000-\\U0010FFFF")
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "wd":
                chars = "A-Za-z0-9_" if nxt == "w" else "0-9"
                out.append(chars if in_class else f"[{chars}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def render(value: object) -> str:
    """A value as AWS echoes it (STS): Java's toString forms."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lower_first(str(k))}={render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def path_text(path: MemberPath) -> str:
    """The text of a member's path: "tags.1.member", "policyInputList.2.member" ..."""
    if isinstance(path, str):
        return path
    parent, index, rest = path
    return f"{path_text(parent)}.{index}{rest}" if index is not None else path_text(parent) + rest


def message(echo: bool, value: object, member_path: MemberPath, constraint: str) -> errors.Problem:
    path = path_text(member_path)
    if value is None:
        return errors.Problem(path, f"Value null at '{path}' failed to satisfy constraint: {constraint}")
    if echo:
        return errors.Problem(path, f"Value '{render(value)}' at '{path}' failed to satisfy constraint: {constraint}")
    return errors.Problem(path, f"Value at '{path}' failed to satisfy constraint: {constraint}")


def raise_violations(violations: list[errors.Problem]) -> None:
    if violations:
        raise errors.ValidationError.detected(violations)


# -- scalar rules: (predicate that is True on violation, constraint text) -----------------------------
# Each predicate is made by a function of its bound, so the bound is fixed when the rule is made.

def _longer_than(hi: int) -> Callable[[Sized], bool]:
    return lambda v: len(v) > hi


def _shorter_than(lo: int) -> Callable[[Sized], bool]:
    return lambda v: len(v) < lo


def _above(hi: int) -> Callable[[int], bool]:
    return lambda v: v > hi


def _below(lo: int) -> Callable[[int], bool]:
    return lambda v: v < lo


def _not_matching(pattern: str) -> Callable[[str], bool]:
    fullmatch = java_pattern(pattern).fullmatch
    return lambda v: fullmatch(v) is None


def _not_in(allowed: frozenset[str]) -> Callable[[str], bool]:
    return lambda v: v not in allowed


def _scalar_rules(shape: Shape) -> list[Rule]:
    meta = shape.metadata
    rules: list[Rule] = []
    kind = shape.type_name
    if kind in ("string", "blob"):
        if "max" in meta:
            hi = meta["max"]
            rules.append((_longer_than(hi), f"Member must have length less than or equal to {hi}"))
        if "min" in meta:
            lo = meta["min"]
            rules.append((_shorter_than(lo), f"Member must have length greater than or equal to {lo}"))
        if kind == "string" and "pattern" in meta:
            rules.append((_not_matching(meta["pattern"]),
                          f"Member must satisfy regular expression pattern: {meta['pattern']}"))
        if kind == "string" and getattr(shape, "enum", None):
            rules.append((_not_in(frozenset(shape.enum)), "Member must satisfy enum value set"))
    elif kind in ("integer", "long"):
        if "max" in meta:
            hi = meta["max"]
            rules.append((_above(hi), f"Member must have value less than or equal to {hi}"))
        if "min" in meta:
            lo = meta["min"]
            rules.append((_below(lo), f"Member must have value greater than or equal to {lo}"))
    return rules


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "blob": (bytes, bytearray), "integer": (int,), "long": (int,),
}


def _compile_scalar(shape: Shape, echo: bool) -> Checker | None:
    rules = _scalar_rules(shape)
    if not rules:
        return None
    types = _SCALAR_TYPES[shape.type_name]
    # A sensitive member (a SAML assertion, a web identity token) is never echoed back.
    echo = echo and not shape.metadata.get("sensitive")

    # A sensitive value (a password, a token) is never kept: the plain check, every time.
    if shape.type_name == "string" and not shape.metadata.get("sensitive"):
        return _remembering_check(rules, echo)

    def check(value: object, path: MemberPath, out: list[errors.Problem]) -> None:
        if isinstance(value, types):
            for violated, text in rules:
                if violated(value):
                    out.append(message(echo, value, path, text))
    return check


# A string shape's checker remembers the last values that satisfied all its rules (a request's user
# name is mostly the last requests'): a set lookup instead of the length checks and the regular
# expression. Its rules read the value alone, so keying on the value is exact; the memory is bounded.
_REMEMBERED_VALUES = 1024
_REMEMBERED_LENGTH = 256


def _remembering_check(rules: list[Rule], echo: bool) -> Checker:
    passed: set[str] = set()

    def check(value: object, path: MemberPath, out: list[errors.Problem]) -> None:
        if not isinstance(value, str) or value in passed:
            return
        valid = True
        for violated, text in rules:
            if violated(value):
                out.append(message(echo, value, path, text))
                valid = False
        if valid and len(value) <= _REMEMBERED_LENGTH:
            if len(passed) >= _REMEMBERED_VALUES:
                passed.clear()
            passed.add(value)
    check.passed = passed  # type: ignore[attr-defined]  # for the tests
    return check


def _length_rules(shape: Shape) -> list[Rule]:
    meta = shape.metadata
    rules: list[Rule] = []
    if "max" in meta:
        hi = meta["max"]
        rules.append((_longer_than(hi), f"Member must have length less than or equal to {hi}"))
    if "min" in meta:
        lo = meta["min"]
        rules.append((_shorter_than(lo), f"Member must have length greater than or equal to {lo}"))
    return rules


def _is_scalar(shape: Shape) -> bool:
    return shape.type_name not in ("structure", "list", "map")


def _compile_list(shape: Shape, echo: bool, required: bool, depth: int) -> Checker | None:
    own = _length_rules(shape)
    member = shape.member
    composite: tuple[list[Rule], str] | None = None
    element: Checker | None = None
    if _is_scalar(member):
        rules = _scalar_rules(member)
        if rules:
            texts = [text for _, text in rules] + (["Member must not be null"] if required else [])
            composite = (rules, "Member must satisfy constraint: [" + ", ".join(texts) + "]")
    else:
        element = _compile(member, echo, False, depth + 1)
    if not own and composite is None and element is None:
        return None

    def check(value: object, path: MemberPath, out: list[errors.Problem]) -> None:
        if not isinstance(value, list):
            return
        for violated, text in own:
            if violated(value):
                out.append(message(echo, value, path, text))
        if composite is not None:
            rules, text = composite
            for item in value:
                if item is None or any(violated(item) for violated, _ in rules):
                    out.append(message(echo, value, path, text))
                    break
        elif element is not None:
            for i, item in enumerate(value, 1):
                if item is not None:
                    element(item, (path, i, ".member"), out)
    return check


def _compile_map(shape: Shape, echo: bool, depth: int) -> Checker | None:
    own = _length_rules(shape)
    key_rules = _scalar_rules(shape.key)
    key_text = "Map keys must satisfy constraint: [" + ", ".join(t for _, t in key_rules) + "]"
    value_check = _compile(shape.value, echo, False, depth + 1)
    if not own and not key_rules and value_check is None:
        return None

    def check(value: object, path: MemberPath, out: list[errors.Problem]) -> None:
        if not isinstance(value, dict):
            return
        for violated, text in own:
            if violated(value):
                out.append(message(echo, value, path, text))
        if key_rules and any(any(v(k) for v, _ in key_rules) for k in value):
            out.append(message(echo, value, path, key_text))
        if value_check is not None:
            for i, item in enumerate(value.values(), 1):
                if item is not None:
                    value_check(item, (path, i, ".value"), out)
    return check


def _compile_structure(shape: Shape, echo: bool, depth: int, order: tuple[str, ...] = ()) -> Checker | None:
    required = set(shape.required_members)
    names = [n for n in order if n in shape.members] + [n for n in shape.members if n not in order]
    plan = []
    for name in names:
        sub = _compile(shape.members[name], echo, name in required, depth + 1)
        if sub is not None or name in required:
            plan.append((name, lower_first(name), "." + lower_first(name), name in required, sub))
    if not plan:
        return None
    null_text = "Member must not be null"

    def check(value: object, path: MemberPath, out: list[errors.Problem]) -> None:
        if not isinstance(value, dict):
            return
        for name, lower, dotted, req, sub in plan:
            item = value.get(name)
            if item is None:
                if req:
                    out.append(message(echo, None, (path, None, dotted) if path else lower, null_text))
            elif sub is not None:
                sub(item, (path, None, dotted) if path else lower, out)
    return check


def _compile(shape: Shape, echo: bool, required: bool, depth: int) -> Checker | None:
    if depth > 32:  # recursive shapes: IAM's inputs have none; stop rather than loop
        return None
    kind = shape.type_name
    if kind == "structure":
        return _compile_structure(shape, echo, depth)
    if kind == "list":
        return _compile_list(shape, echo, required, depth)
    if kind == "map":
        return _compile_map(shape, echo, depth)
    return _compile_scalar(shape, echo)


_PLANS: dict[tuple[str, str], Checker | None] = {}


def plan_for(operation: OperationModel) -> Checker | None:
    service = operation.service_model.service_name
    key = (service, operation.name)
    try:
        return _PLANS[key]
    except KeyError:
        pass
    shape = operation.input_shape
    checker = None
    if shape is not None:
        checker = _compile_structure(shape, service in ECHOING_SERVICES, 0,
                                     VIOLATION_ORDER.get(operation.name, ()))
    _PLANS[key] = checker
    return checker


def problems(operation: OperationModel, params: Mapping[str, object]) -> list[errors.Problem]:
    """Every constraint violation of ``params``: the member path and AWS's words for each."""
    checker = plan_for(operation)
    out: list[errors.Problem] = []
    if checker is not None:
        checker(params, "", out)
    return out


def violations(operation: OperationModel, params: Mapping[str, object]) -> list[str]:
    """Every constraint violation of ``params``, as AWS words each one."""
    return [problem.message for problem in problems(operation, params)]


def check_constraints(operation: OperationModel, params: Mapping[str, object]) -> None:
    """Raise one ``ValidationError`` naming every violation, or return None."""
    checker = plan_for(operation)
    if checker is None:
        return
    found: list[errors.Problem] = []
    checker(params, "", found)
    if not found:  # a member's own pattern message needs its pattern violated, hence a problem found
        return
    for (operation_name, member), wording in PATTERN_MESSAGES.items():
        value = params.get(member)
        if operation_name != operation.name or not isinstance(value, str):
            continue
        shape = operation.input_shape.members[member]
        pattern = shape.metadata.get("pattern")
        wire = lower_first(member)
        if pattern and not java_pattern(pattern).fullmatch(value) and \
                all(p.member != wire or "regular expression" in p.message for p in found):
            raise errors.ValidationError(wording)
    raise_violations(found)
