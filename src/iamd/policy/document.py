"""JSON policy text -> frozen, compiled :class:`Policy` and :class:`Statement` objects.

Parsing is done once: string-or-list elements are normalised to tuples, action and resource
patterns are compiled (wildcard.py), condition blocks become :class:`Condition` objects with their
operator looked up in the one registry (conditions.py), policy variables are parsed (variables.py,
version 2012-10-17 only). Evaluation never sees raw JSON.

Each statement keeps its ``sid`` and where it stands in the text: ``start`` is the (line, column)
of its opening ``{`` and ``end`` the (line, column) just past its closing ``}``, both 1-based, as
the simulator's MatchedStatements StartPosition/EndPosition need.

Policies and statements compare and hash by identity (``eq=False``), so a caller can cache compiled
objects and sets of them. A policy indexes its statements by service prefix and memoises, per
action, which statements name it, so a warm decision only looks at statements for that action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .conditions import Condition
from .jsontext import JsonError, Node, Text, parse
from .values import Context
from .variables import Template, parse_template
from .wildcard import ANY, Matcher, compile_action, compile_arn, compile_segments, has_wildcard

__all__ = ["PolicyError", "Principals", "Statement", "Policy", "MatchedStatement", "parse_policy", "MEMO_LIMIT"]

MEMO_LIMIT = 2048  # distinct actions remembered per policy before the memo starts again
PARTS = ("identity", "resource", "boundary", "session")


class PolicyError(ValueError):
    """The text cannot be read as a policy (parse_policy on text that check_policy would refuse)."""


@dataclass(frozen=True, eq=False)
class Principals:
    """A compiled Principal or NotPrincipal element.

    ``anyone``: ``"*"`` or ``{"AWS": "*"}``. ``arns``: AWS principal ARNs plus service, federated and
    canonical-user names, matched exactly. ``accounts``: 12-digit ids, from an id or a root ARN.
    """

    anyone: bool
    arns: frozenset[str]
    accounts: frozenset[str]
    raw: object

    def match(self, principal_arn: str, account: str, aliases: Sequence[str] = ()) -> str | None:
        """How a caller matches a Principal: "direct", "alias", "account" or None."""
        if self.anyone or (principal_arn and principal_arn in self.arns):
            return "direct"
        for alias in aliases:
            if alias in self.arns:
                return "alias"
        if account and account in self.accounts:
            return "account"
        return None

    def excludes(self, principal_arn: str) -> bool:
        """Whether a NotPrincipal element names the caller (exact names only, as AWS documents)."""
        if self.anyone or principal_arn in self.arns:
            return True
        if principal_arn.endswith(":root") and principal_arn.startswith("arn:"):
            parts = principal_arn.split(":")
            return len(parts) == 6 and parts[4] in self.accounts
        return False


def _root_account(value: str) -> str | None:
    if len(value) == 12 and value.isdigit():
        return value
    parts = value.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root" and parts[4].isdigit():
        return parts[4]
    return None


def compile_principals(value: object) -> Principals:
    if value == "*":
        return Principals(True, frozenset(), frozenset(), value)
    if not isinstance(value, dict):
        raise PolicyError("Principal must be \"*\" or an object")
    anyone = False
    arns: set[str] = set()
    accounts: set[str] = set()
    for kind, entries in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"unknown principal type {kind!r}")
        for entry in _strings(entries, "Principal"):
            if kind == "AWS" and entry == "*":
                anyone = True
                continue
            arns.add(entry)
            account = _root_account(entry) if kind == "AWS" else None
            if account:
                accounts.add(account)
    return Principals(anyone, frozenset(arns), frozenset(accounts), value)


def _strings(value: object, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{element} must be a string or a list of strings")


def _condition_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise PolicyError("condition values must be strings, numbers or booleans")


@dataclass(frozen=True, eq=False)
class Statement:
    """One compiled statement. ``resources`` is () when the statement has no Resource/NotResource."""

    sid: str
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: Principals | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    index: int = 0
    start: tuple[int, int] = (0, 0)
    end: tuple[int, int] = (0, 0)
    variables: bool = True  # policy variables in Resource (version 2012-10-17)
    # compiled forms, derived in __post_init__
    services: frozenset[str] | None = field(init=False, repr=False)
    context_keys: tuple[str, ...] = field(init=False, repr=False)
    _keys_lower: tuple[tuple[str, str], ...] = field(init=False, repr=False)  # (lower-cased, as written)
    _exact_actions: frozenset[str] = field(init=False, repr=False)
    _action_matchers: tuple[Matcher, ...] = field(init=False, repr=False)
    _resource_any: bool = field(init=False, repr=False)
    _resource_matchers: tuple[Matcher | Template, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        exact: set[str] = set()
        matchers: list[Matcher] = []
        services: set[str] = set()
        for pattern in self.actions:
            matcher = compile_action(pattern)
            if matcher is ANY or has_wildcard(pattern):
                matchers.append(matcher)
            else:
                exact.add(pattern.lower())
            vendor = pattern.split(":", 1)[0].lower() if ":" in pattern else "*"
            services.add(vendor)
        wild_vendor = self.not_action or any(has_wildcard(s) for s in services)
        put(self, "services", None if wild_vendor else frozenset(services))
        put(self, "_exact_actions", frozenset(exact))
        put(self, "_action_matchers", tuple(matchers))
        resource_matchers = tuple(_resource_matcher(r, self.variables) for r in self.resources)
        put(self, "_resource_any", any(m is ANY for m in resource_matchers))
        put(self, "_resource_matchers", resource_matchers)
        keys = [c.key for c in self.conditions]
        for c in self.conditions:
            keys.extend(c.variable_keys())
        for m in resource_matchers:
            if isinstance(m, Template):
                keys.extend(m.keys)
        put(self, "context_keys", tuple(keys))
        put(self, "_keys_lower", tuple((k.lower(), k) for k in keys))

    def matches_action(self, action_lower: str) -> bool:
        hit = action_lower in self._exact_actions or any(m.match(action_lower) for m in self._action_matchers)
        return hit != self.not_action

    def matches_resource(self, resource: str, context: Context) -> bool:
        if not self.resources:
            return True
        if self._resource_any:
            return not self.not_resource
        hit = False
        for matcher in self._resource_matchers:
            if isinstance(matcher, Template):
                segments = matcher.render(context)
                if segments is None:
                    continue
                matcher = compile_segments(segments, arn=True)
            if matcher.match(resource):
                hit = True
                break
        return hit != self.not_resource

    def conditions_hold(self, context: Context) -> bool:
        for condition in self.conditions:
            if not condition.holds(context):
                return False
        return True


def _resource_matcher(pattern: str, variables: bool) -> Matcher | Template:
    template = parse_template(pattern) if variables else None
    return template if template is not None else compile_arn(pattern)


@dataclass(frozen=True)
class MatchedStatement:
    """A statement that decided, as the simulator reports it (built once per statement and part)."""

    policy_id: str
    policy_type: str
    sid: str
    effect: str
    start: tuple[int, int]
    end: tuple[int, int]
    part: str  # "identity", "resource", "boundary" or "session"


@dataclass(frozen=True, eq=False)
class Policy:
    """A compiled policy. Immutable; hashes by identity, so it can key a cache."""

    statements: tuple[Statement, ...]
    version: str = "2012-10-17"
    policy_id: str = ""
    policy_type: str = "IAM Policy"
    id: str = ""
    _by_service: dict[str, tuple[Statement, ...]] = field(init=False, repr=False)
    _wild: tuple[Statement, ...] = field(init=False, repr=False)
    _memo: dict[str, tuple[Statement, ...]] = field(init=False, repr=False)
    _matched: dict[tuple[Statement, str], MatchedStatement] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_service: dict[str, list[Statement]] = {}
        wild = []
        for statement in self.statements:
            if statement.services is None:
                wild.append(statement)
            else:
                for service in statement.services:
                    by_service.setdefault(service, []).append(statement)
        object.__setattr__(self, "_by_service", {k: tuple(v) for k, v in by_service.items()})
        object.__setattr__(self, "_wild", tuple(wild))
        object.__setattr__(self, "_memo", {})
        object.__setattr__(self, "_matched", {})

    def matched_statement(self, statement: Statement, part: str) -> MatchedStatement:
        """The MatchedStatement for one of this policy's statements in a part (made once)."""
        key = (statement, part)
        found = self._matched.get(key)
        if found is None:
            s = statement
            found = MatchedStatement(self.policy_id, self.policy_type, s.sid, s.effect, s.start, s.end, part)
            self._matched[key] = found
        return found

    def candidates(self, action_lower: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers ``action_lower``, in document order."""
        found = self._memo.get(action_lower)
        if found is not None:
            return found
        service = action_lower.split(":", 1)[0]
        pool: Sequence[Statement] = self._by_service.get(service, ())
        if self._wild:
            pool = sorted(set(pool) | set(self._wild), key=lambda s: s.index)
        found = tuple(s for s in pool if s.matches_action(action_lower))
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[action_lower] = found
        return found


def _statement(node: Node, index: int, text: Text, variables: bool) -> Statement:
    data = node.plain()
    if not isinstance(data, dict):
        raise PolicyError("a statement must be an object")
    effect = data.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise PolicyError("Effect must be Allow or Deny")
    sid = data.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyError("Sid must be a string")
    not_action = "NotAction" in data
    actions = _strings(data.get("NotAction" if not_action else "Action", []), "Action")
    not_resource = "NotResource" in data
    resource_key = "NotResource" if not_resource else "Resource"
    resources: tuple[str, ...] = _strings(data[resource_key], "Resource") if resource_key in data else ()
    not_principal = "NotPrincipal" in data
    principal_value = data.get("NotPrincipal" if not_principal else "Principal")
    principals = compile_principals(principal_value) if principal_value is not None else None
    conditions = []
    block = data.get("Condition", {})
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object")
    for operator, tests in block.items():
        if not isinstance(tests, dict):
            raise PolicyError("a condition operator must hold an object")
        for key, values in tests.items():
            values = values if isinstance(values, list) else [values]
            try:
                conditions.append(Condition(operator, key, tuple(_condition_value(v) for v in values), variables))
            except ValueError as exc:
                raise PolicyError(str(exc)) from None
    return Statement(
        sid=sid,
        effect="Allow" if effect.lower() == "allow" else "Deny",
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        conditions=tuple(conditions),
        index=index,
        start=text.position(node.start),
        end=text.position(node.end),
        variables=variables,
    )


def parse_policy(text: str, policy_id: str = "", policy_type: str = "IAM Policy") -> Policy:
    """Compile policy text (already accepted by check_policy). PolicyError on what cannot be read."""
    try:
        root = parse(text, raw_below=2)  # inside statements: json's C decoder
    except JsonError as exc:
        raise PolicyError(f"not JSON: {exc.reason}") from None
    if root.kind != "object":
        raise PolicyError("a policy must be a JSON object")
    version_node = root.get("Version")
    version = version_node.value if version_node is not None else "2008-10-17"
    if not isinstance(version, str):
        raise PolicyError("Version must be a string")
    id_node = root.get("Id")
    statement_node = root.get("Statement")
    if statement_node is None:
        raise PolicyError("a policy needs a Statement")
    nodes = statement_node.items if statement_node.kind == "array" else [statement_node]
    located = Text(text)
    variables = version == "2012-10-17"
    statements = tuple(_statement(node, i, located, variables) for i, node in enumerate(nodes))
    policy_ident = id_node.value if id_node is not None and isinstance(id_node.value, str) else ""
    return Policy(statements, version, policy_id, policy_type, policy_ident)
