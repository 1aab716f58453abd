"""Grammar rules -> every problem in a policy document, in the order AWS reports them.

``check_policy(text, kind)`` returns a list of :class:`Problem` (message, line, column), empty when
the document is valid. ``problems[0].message`` is the MalformedPolicyDocument message AWS gives;
the rest are further problems, each located so an editor can point at it.

Checks run in phases; a phase's problems come before any later phase's, and within a phase they
come in document order. The phases follow the recorded "which check wins" rules
(as recorded from AWS in aws-recorded-errors.md):

  1. not JSON ("Syntax errors in policy."; trust policies: "This policy contains invalid Json").
     Nothing else is checked then.
  2. Version missing or 2008-10-17: managed policies only (CreatePolicy, CreatePolicyVersion, where
     AWS refuses them). Inline identity, session, trust and resource-based policies may omit Version
     or give 2008-10-17; they are then read with the 2008-10-17 rules (no policy variables).
  3. structure and types ("Syntax errors in policy."): unknown keys, wrong JSON types, Effect not
     Allow/Deny ignoring case, Action with NotAction, Resource with NotResource, Principal with
     NotPrincipal, malformed Condition blocks, an unknown operator with a non-empty body.
  4. "The policy failed legacy parsing": Effect in the wrong case, Date values that are not dates,
     ``arn:`` resources of a known partition with 4 or 5 fields or an empty service (with an
     unknown partition the partition message comes instead, in phase 9).
  5. Sids: duplicates (empty Sids are not compared); identity policies: Sids must be alphanumeric.
  6. Principal: identity policies must not have one; trust and resource policies must; a trust
     policy must not have Resource/NotResource.
  7. missing (or empty) Action/NotAction, then 8. missing Resource/NotResource (not for trust).
  9. resource format (ARN form, partition, vendor, region, IAM path), then 10. action format
     (vendor prefix, one colon, vendor characters), then 11. trust policies: only sts:AssumeRole*.

Size limits are not checked here (the service does that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .conditions import resolve_operator
from .jsontext import JsonError, Node, Text, parse
from .wildcard import compile_action

__all__ = ["Problem", "check_policy", "KINDS", "Messages"]

KINDS = ("identity", "managed", "trust", "resource")
IDENTITY_KINDS = ("identity", "managed")  # a managed policy is an identity policy whose Version is checked


class Messages:
    SYNTAX = "Syntax errors in policy."
    INVALID_JSON = "This policy contains invalid Json"
    VERSION = "Policy document must be version 2012-10-17 or greater."
    LEGACY = "The policy failed legacy parsing"
    DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
    SID_CHARS = (
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )
    NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
    PRINCIPAL_REQUIRED = "Missing required field Principal"
    PROHIBITED = "Has prohibited field {field}"
    NO_ACTIONS = "Policy statement must contain actions."
    NO_RESOURCES = "Policy statement must contain resources."
    ARN_FORMAT = 'Resource {resource} must be in ARN format or "*".'
    PARTITION = 'Partition "{partition}" is not valid for resource "{resource}".'
    VENDOR_QUALIFIED = "Resource vendor must be fully qualified and cannot contain regexes."
    IAM_REGION = "IAM resource {resource} cannot contain region information."
    S3_REGION = "Resource {resource} can not contain region information."
    IAM_PATH = (
        'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, '
        "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, "
        "report/, access-report/."
    )
    ACTION_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    ACTION_COLON = "Actions/Condition can contain only one colon."
    VENDOR = "Vendor {vendor} is not valid"
    TRUST_ACTION = "AssumeRole policy may only specify STS AssumeRole actions."


PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})
IAM_PREFIXES = (
    "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
    "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
)  # fmt: skip
S3_REGIONAL = ("accesspoint/", "job/", "storage-lens/", "storage-lens-group/", "access-grants/")
TRUST_ACTIONS = (
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
)  # fmt: skip
TOP_KEYS = frozenset({"Version", "Id", "Statement"})
STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_VENDOR = re.compile(r"[A-Za-z0-9_.*?-]+\Z")
_SID = re.compile(r"[0-9A-Za-z]*\Z")
(VERSION, SYNTAX, LEGACY, SIDS, PRINCIPAL, ACTIONS, RESOURCES, RESOURCE_FORMAT, ACTION_FORMAT, TRUST) = range(2, 12)


@dataclass(frozen=True)
class Problem:
    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


class _Found:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, str]] = []  # (phase, order found, offset, message)

    def add(self, phase: int, offset: int, message: str) -> None:
        self.items.append((phase, len(self.items), offset, message))


def check_policy(text: str, kind: str = "identity") -> list[Problem]:
    """Every problem in ``text`` as a policy of ``kind``: "identity" (inline, session, simulator
    input), "managed" (an identity policy that must say Version 2012-10-17), "trust" or "resource"."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    located = Text(text if isinstance(text, str) else "")
    try:
        root = parse(text)
    except JsonError as exc:
        message = Messages.INVALID_JSON if kind == "trust" else Messages.SYNTAX
        return [Problem(message, *located.position(exc.offset))]
    found = _Found()
    if root.kind != "object":
        found.add(SYNTAX, root.start, Messages.SYNTAX)
    else:
        _check_top(root, kind, found)
    found.items.sort(key=lambda item: (item[0], item[1]))
    return [Problem(message, *located.position(offset)) for _phase, _n, offset, message in found.items]


def _check_top(root: Node, kind: str, found: _Found) -> None:
    for key, offset, _value in root.members:
        if key not in TOP_KEYS:
            found.add(SYNTAX, offset, Messages.SYNTAX)
    version = root.get("Version")
    if version is None:
        if kind == "managed":
            found.add(VERSION, root.start, Messages.VERSION)
    elif version.kind != "string" or version.value not in ("2012-10-17", "2008-10-17"):
        found.add(SYNTAX, version.start, Messages.SYNTAX)
    elif version.value == "2008-10-17" and kind == "managed":
        found.add(VERSION, version.start, Messages.VERSION)
    ident = root.get("Id")
    if ident is not None and ident.kind != "string":
        found.add(SYNTAX, ident.start, Messages.SYNTAX)
    statement = root.get("Statement")
    if statement is None:
        found.add(SYNTAX, root.start, Messages.SYNTAX)
        return
    if statement.kind == "object":
        statements = [statement]
    elif statement.kind == "array" and statement.items:
        statements = []
        for item in statement.items:
            if item.kind == "object":
                statements.append(item)
            else:
                found.add(SYNTAX, item.start, Messages.SYNTAX)
    else:
        found.add(SYNTAX, statement.start, Messages.SYNTAX)
        return
    seen_sids: set[str] = set()
    for node in statements:
        _check_statement(node, kind, found, seen_sids)


def _strings_node(node: Node) -> list[Node] | None:
    """The string nodes of a string-or-list-of-strings element, or None when the type is wrong."""
    if node.kind == "string":
        return [node]
    if node.kind == "array" and all(item.kind == "string" for item in node.items):
        return list(node.items)
    return None


def _check_statement(node: Node, kind: str, found: _Found, seen_sids: set[str]) -> None:
    for key, offset, _value in node.members:
        if key not in STATEMENT_KEYS:
            found.add(SYNTAX, offset, Messages.SYNTAX)
    present = {key for key, _o, _v in node.members}
    for first, second in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        if first in present and second in present:
            found.add(SYNTAX, node.key_offset(second), Messages.SYNTAX)

    sid = node.get("Sid")
    if sid is not None:
        sid_text = sid.text()
        if sid_text is None:
            found.add(SYNTAX, sid.start, Messages.SYNTAX)
        elif sid_text:
            if sid_text in seen_sids:
                found.add(SIDS, sid.start, Messages.DUPLICATE_SID)
            seen_sids.add(sid_text)
            if kind in IDENTITY_KINDS and not _SID.match(sid_text):
                found.add(SIDS, sid.start, Messages.SID_CHARS)

    effect = node.get("Effect")
    effect_text = effect.text() if effect is not None else None
    if effect is None or effect_text is None or effect_text.lower() not in ("allow", "deny"):
        found.add(SYNTAX, effect.start if effect is not None else node.start, Messages.SYNTAX)
    elif effect_text not in ("Allow", "Deny"):
        found.add(LEGACY, effect.start, Messages.LEGACY)

    _check_principal(node, kind, present, found)

    action_key = "NotAction" if "NotAction" in present and "Action" not in present else "Action"
    action_node = node.get(action_key)
    actions = _strings_node(action_node) if action_node is not None else []
    if actions is None and action_node is not None:  # present, of the wrong type
        found.add(SYNTAX, action_node.start, Messages.SYNTAX)
    elif not actions:
        offset = node.key_offset(action_key) if action_key in present else node.start
        found.add(ACTIONS, offset, Messages.NO_ACTIONS)

    resource_key = "NotResource" if "NotResource" in present and "Resource" not in present else "Resource"
    resource_node = node.get(resource_key)
    resources = _strings_node(resource_node) if resource_node is not None else []
    if resources is None and resource_node is not None:  # present, of the wrong type
        found.add(SYNTAX, resource_node.start, Messages.SYNTAX)
    elif kind == "trust":
        if resource_key in present:
            found.add(PRINCIPAL, node.key_offset(resource_key), Messages.PROHIBITED.format(field=resource_key))
        resources = []
    elif not resources:
        offset = node.key_offset(resource_key) if resource_key in present else node.start
        found.add(RESOURCES, offset, Messages.NO_RESOURCES)

    condition = node.get("Condition")
    if condition is not None:
        _check_condition(condition, found)

    for resource in resources or ():
        _check_resource(resource, found)
    for action in actions or ():
        _check_action(action, kind, action_key, found)


def _check_principal(node: Node, kind: str, present: set[str], found: _Found) -> None:
    key = "NotPrincipal" if "NotPrincipal" in present and "Principal" not in present else "Principal"
    principal = node.get(key)
    if principal is not None and not _principal_shape(principal):
        found.add(SYNTAX, principal.start, Messages.SYNTAX)
    if kind in IDENTITY_KINDS:
        if principal is not None:
            found.add(PRINCIPAL, node.key_offset(key), Messages.NO_PRINCIPAL_ALLOWED)
    elif principal is None:
        found.add(PRINCIPAL, node.start, Messages.PRINCIPAL_REQUIRED)


def _principal_shape(node: Node) -> bool:
    if node.kind == "string":
        return node.value == "*"
    if node.kind != "object" or not node.members:
        return False
    return all(name in PRINCIPAL_TYPES and _strings_node(value) is not None for name, _o, value in node.members)


def _scalar(node: Node) -> bool:
    return node.kind in ("string", "number", "bool")


def _check_condition(condition: Node, found: _Found) -> None:
    if condition.kind != "object":
        found.add(SYNTAX, condition.start, Messages.SYNTAX)
        return
    for name, offset, body in condition.members:
        if body.kind != "object":
            found.add(SYNTAX, body.start, Messages.SYNTAX)
            continue
        if not body.members:
            continue  # AWS accepts an empty body, even under an unknown operator
        resolved = resolve_operator(name)
        if resolved is None:
            found.add(SYNTAX, offset, Messages.SYNTAX)
            continue
        operator = resolved[0]
        for _key, _key_offset, value in body.members:
            values = value.items if value.kind == "array" else [value]
            if not all(_scalar(v) for v in values):
                found.add(SYNTAX, value.start, Messages.SYNTAX)
                continue
            if operator.valid is not None:
                for v in values:
                    text = v.value if v.kind != "bool" else str(v.value).lower()
                    if not operator.valid(str(text)):
                        found.add(LEGACY, v.start, Messages.LEGACY)


def _check_resource(node: Node, found: _Found) -> None:
    value = str(node.value)  # a string node (_strings_node)
    if value == "*":
        return
    plain = _VARIABLE.sub("X", value)
    fields = plain.split(":")
    known = fields[0] == "arn" and len(fields) > 1 and fields[1] in PARTITIONS
    if known and (len(fields) in (4, 5) or (len(fields) >= 6 and not fields[2])):
        found.add(LEGACY, node.start, Messages.LEGACY)
        return
    message = _resource_message(value, fields)
    if message:
        found.add(RESOURCE_FORMAT, node.start, message)


def _resource_message(value: str, fields: list[str]) -> str | None:
    if len(fields) < 2:
        return Messages.ARN_FORMAT.format(resource=value)
    partition = fields[1]
    if partition not in PARTITIONS:
        echo = "arn" + value[value.index(":") :] + ":*" * max(0, 6 - len(fields))
        return Messages.PARTITION.format(partition=partition, resource=echo)
    if len(fields) == 2 or not fields[2] or "*" in fields[2] or "?" in fields[2]:
        return Messages.VENDOR_QUALIFIED
    if len(fields) < 6:
        return None
    service, region, resource = fields[2], fields[3], ":".join(fields[5:])
    if service == "iam":
        if region:
            return Messages.IAM_REGION.format(resource=value)
        head = resource.split("/", 1)[0]
        if resource in ("*", "root") or resource.startswith(IAM_PREFIXES) or "*" in head or "?" in head:
            return None
        return Messages.IAM_PATH
    if service == "s3" and region and not resource.startswith(S3_REGIONAL):
        return Messages.S3_REGION.format(resource=value)
    return None


def _check_action(node: Node, kind: str, key: str, found: _Found) -> None:
    value = str(node.value)  # a string node (_strings_node)
    if value == "*":
        pass
    elif ":" not in value:
        found.add(ACTION_FORMAT, node.start, Messages.ACTION_VENDOR)
        return
    elif value.count(":") > 1:
        found.add(ACTION_FORMAT, node.start, Messages.ACTION_COLON)
        return
    else:
        vendor = value.split(":", 1)[0]
        if not _VENDOR.match(vendor):
            found.add(ACTION_FORMAT, node.start, Messages.VENDOR.format(vendor=vendor))
            return
    if kind == "trust" and key == "Action":
        matcher = compile_action(value)
        if not any(matcher.match(name) for name in TRUST_ACTIONS):
            found.add(TRUST, node.start, Messages.TRUST_ACTION)
