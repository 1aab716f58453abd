"""The operator's own services: definitions in the Service Authorization Reference's shape, so that policies
grant ``orders:GetOrder`` on ``arn:aws:orders:...`` and iamd knows the names.

    {"ServicePrefix": "orders", "Name": "Orders",
     "Actions": [{"Name": "GetOrder", "AccessLevel": "Read", "Description": "...",
                  "ResourceTypes": [{"Name": "order", "Required": true}], "ConditionKeys": ["orders:Channel"]}],
     "ResourceTypes": [{"Name": "order", "ARNFormat": "arn:${Partition}:orders:${Region}:${Account}:order/${OrderId}",
                        "ConditionKeys": []}],
     "ConditionKeys": [{"Name": "orders:Channel", "Type": "String", "Description": "..."}]}

One definition per prefix for the whole server (a prefix means the same actions in every account, as AWS's
do); the account that registered it through the API owns it, and only it (or the operator, through
``iamd service``) may replace or remove it. What a definition changes: the authorization API refuses an
action of a registered prefix that the definition does not declare (a typo would otherwise be silently
denied forever), and the console's policy editor offers and checks the names. It never changes a decision.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from iamd.errors import AccessDenied, EntityAlreadyExists, InvalidInput, NoSuchEntity, ValidationError
from iamd.reference import actions as reference
from iamd.service import authorization_api as api
from iamd.service.authorization_api.permission import require
from iamd.service.context import Call
from iamd.store.fastpath import HotQuery
from iamd.store.schema import service_definitions

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
KEY_TYPES = ("String", "ARN", "Numeric", "Bool", "Date", "IPAddress", "Binary", "ArrayOfString", "ArrayOfARN",
             "ArrayOfNumeric", "ArrayOfBool")
_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
_ACTION = re.compile(r"[A-Za-z][A-Za-z0-9]{0,127}\Z")
_RESOURCE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
_FIELDS = {"ServicePrefix", "Name", "Actions", "ResourceTypes", "ConditionKeys"}
_ACTION_FIELDS = {"Name", "AccessLevel", "Description", "ResourceTypes", "ConditionKeys", "DependentActions"}

# iamd's own actions, as a definition: known to every part that lists names, never registrable.
BUILT_IN = {
    "ServicePrefix": api.SERVICE_PREFIX, "Name": "iamd authorization API",
    "Actions": [
        {"Name": "VerifySignature", "AccessLevel": "Read", "ResourceTypes": [],
         "Description": "Grants permission to verify a client's SigV4 signature and learn its principal"},
        {"Name": "Authorize", "AccessLevel": "Read", "ResourceTypes": [],
         "Description": "Grants permission to ask for a principal's decisions (resource: the principal's ARN)"},
        {"Name": "RegisterService", "AccessLevel": "Write", "ResourceTypes": [{"Name": "service", "Required": True}],
         "Description": "Grants permission to register or replace a service definition"},
        {"Name": "DeregisterService", "AccessLevel": "Write", "ResourceTypes": [{"Name": "service", "Required": True}],
         "Description": "Grants permission to remove a service definition"},
        {"Name": "GetService", "AccessLevel": "Read", "ResourceTypes": [{"Name": "service", "Required": True}],
         "Description": "Grants permission to read a service definition"},
        {"Name": "ListServices", "AccessLevel": "List", "ResourceTypes": [],
         "Description": "Grants permission to list the registered service definitions"},
    ],
    "ResourceTypes": [{"Name": "service", "ARNFormat": "arn:${Partition}:iamd:::service/${ServicePrefix}"}],
    "ConditionKeys": [],
}


def service_arn(prefix: str) -> str:
    return f"arn:aws:iamd:::service/{prefix}"


# ---- checking a definition ----------------------------------------------------------------------

def problems(definition: object) -> list[str]:
    """Every problem of a definition, each naming where it is (``Actions[2].Name``); [] when valid."""
    if not isinstance(definition, dict):
        return ["The definition must be a JSON object."]
    found = [f"Unknown field {name!r}: expected {', '.join(sorted(_FIELDS))}." for name in definition
             if name not in _FIELDS]
    prefix = definition.get("ServicePrefix")
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        found.append("ServicePrefix must be 1 to 63 lower-case letters, digits and hyphens, e.g. \"orders\".")
        prefix = None
    elif prefix == api.SERVICE_PREFIX or prefix in reference.all_services():
        found.append(f"ServicePrefix {prefix!r} is an AWS service's (or iamd's own): choose another.")
    if "Name" in definition and not isinstance(definition["Name"], str):
        found.append("Name must be a string.")
    keys = _condition_keys(definition.get("ConditionKeys", []), prefix, found)
    types = _resource_types(definition.get("ResourceTypes", []), prefix, keys, found)
    actions = definition.get("Actions")
    if not isinstance(actions, list) or not actions:
        found.append("Actions must be a non-empty list.")
        return found
    seen: set[str] = set()
    for index, entry in enumerate(actions):
        where = f"Actions[{index}]"
        if not isinstance(entry, dict):
            found.append(f"{where} must be an object.")
            continue
        found += [f"{where}: unknown field {name!r}." for name in entry if name not in _ACTION_FIELDS]
        name = entry.get("Name")
        if not isinstance(name, str) or not _ACTION.match(name):
            found.append(f"{where}.Name must be a letter then letters and digits (at most 128), e.g. GetOrder.")
        elif name.lower() in seen:
            found.append(f"{where}.Name {name} is declared twice.")
        else:
            seen.add(name.lower())
        if entry.get("AccessLevel") not in ACCESS_LEVELS:
            found.append(f"{where}.AccessLevel must be one of {', '.join(ACCESS_LEVELS)}.")
        if not isinstance(entry.get("Description", ""), str):
            found.append(f"{where}.Description must be a string.")
        refs = entry.get("ResourceTypes", [])
        if not isinstance(refs, list):
            found.append(f"{where}.ResourceTypes must be a list.")
            refs = []
        for ref_index, ref in enumerate(refs):
            ref_name = ref.get("Name") if isinstance(ref, dict) else None
            if ref_name not in types:
                found.append(f"{where}.ResourceTypes[{ref_index}] must name a resource type of ResourceTypes "
                             f"({', '.join(sorted(types)) or 'none declared'}).")
            elif not isinstance(ref.get("Required", False), bool):
                found.append(f"{where}.ResourceTypes[{ref_index}].Required must be true or false.")
        _key_refs(entry.get("ConditionKeys", []), f"{where}.ConditionKeys", keys, found)
    return found


def _condition_keys(entries: object, prefix: str | None, found: list[str]) -> set[str]:
    keys: set[str] = set()
    if not isinstance(entries, list):
        found.append("ConditionKeys must be a list.")
        return keys
    for index, entry in enumerate(entries):
        name = entry.get("Name") if isinstance(entry, dict) else None
        where = f"ConditionKeys[{index}]"
        if not isinstance(name, str) or (prefix and not name.lower().startswith(prefix + ":")) or name.count(":") != 1:
            found.append(f"{where}.Name must be {prefix or 'the prefix'}:KeyName.")
            continue
        if entry.get("Type") not in KEY_TYPES:
            found.append(f"{where}.Type must be one of {', '.join(KEY_TYPES)}.")
        keys.add(name.lower())
    return keys


def _resource_types(entries: object, prefix: str | None, keys: set[str], found: list[str]) -> set[str]:
    names: set[str] = set()
    if not isinstance(entries, list):
        found.append("ResourceTypes must be a list.")
        return names
    for index, entry in enumerate(entries):
        where = f"ResourceTypes[{index}]"
        name = entry.get("Name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _RESOURCE_TYPE.match(name):
            found.append(f"{where}.Name must be a letter then letters, digits, - and _, e.g. order.")
            continue
        if name in names:
            found.append(f"{where}.Name {name} is declared twice.")
        names.add(name)
        arn = entry.get("ARNFormat")
        fields = arn.split(":", 5) if isinstance(arn, str) else []
        if len(fields) != 6 or fields[0] != "arn" or fields[1] not in ("aws", "${Partition}") or \
                (prefix and fields[2] != prefix) or not fields[5]:
            found.append(f"{where}.ARNFormat must be arn:${{Partition}}:{prefix or 'prefix'}:${{Region}}:${{Account}}:"
                         f"{name}/${{Id}} (six fields, the service prefix third).")
        _key_refs(entry.get("ConditionKeys", []), f"{where}.ConditionKeys", keys, found)
    return names


def _key_refs(refs: object, where: str, keys: set[str], found: list[str]) -> None:
    if not isinstance(refs, list) or not all(isinstance(key, str) for key in refs):
        found.append(f"{where} must be a list of condition key names.")
        return
    for key in refs:
        if ":" not in key or (not key.lower().startswith("aws:") and key.lower() not in keys):
            found.append(f"{where}: {key} is neither a global aws: key nor declared in ConditionKeys.")


def check(definition: object) -> dict:
    found = problems(definition)
    if found:
        raise ValidationError(f"The service definition is not valid: {' '.join(found)}")
    assert isinstance(definition, dict)
    return definition


# ---- the store ----------------------------------------------------------------------------------

_BY_PREFIX = HotQuery(select(service_definitions).where(service_definitions.c.prefix == bindparam("prefix")))
_ALL = select(service_definitions).order_by(service_definitions.c.prefix)


@dataclass(frozen=True)
class Definition:
    id: str
    prefix: str
    owner_account_id: str
    document: dict
    registered_at: datetime
    actions: dict  # lower-case name → AWS spelling

    def describe(self) -> dict:
        return {**self.document, "ServiceArn": service_arn(self.prefix),
                "OwnerAccountId": self.owner_account_id or None,
                "RegisteredAt": self.registered_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


class _Compiled:
    """Parsed definitions by registration id: an id is never reused (a new one at every registration),
    so an entry is never stale; bounded."""

    def __init__(self, limit: int = 1024):
        self._entries: OrderedDict[str, Definition] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, row) -> Definition:
        with self._lock:
            found = self._entries.get(row.id)
            if found is not None:
                return found
        document = json.loads(row.document)
        found = Definition(row.id, row.prefix, row.owner_account_id, document, row.registered_at,
                           {a["Name"].lower(): a["Name"] for a in document["Actions"]})
        with self._lock:
            self._entries[row.id] = found
            if len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return found


_COMPILED = _Compiled()


def find(tx: Connection, prefix: str) -> Definition | None:
    row = _BY_PREFIX.first(tx, {"prefix": prefix.lower()})
    return _COMPILED.get(row) if row is not None else None


class _Recent:
    """What ``find`` said of a prefix, for ``check_actions`` (a query per prefix and per decision call
    otherwise): dropped at once by this process's register and deregister, and after ``ttl`` seconds
    for another process's (a second worker, ``iamd service``). It only names actions: it never changes
    a decision."""

    def __init__(self, ttl: float = 1.0, limit: int = 1024):
        self._entries: dict[str, tuple[float, Definition | None]] = {}
        self._ttl, self._limit = ttl, limit
        self._lock = threading.Lock()

    def find(self, tx: Connection, prefix: str) -> Definition | None:
        key, now = prefix.lower(), time.monotonic()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        definition = find(tx, key)
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[key] = (now + self._ttl, definition)
        return definition

    def drop(self, prefix: str) -> None:
        with self._lock:
            self._entries.pop(prefix.lower(), None)


_RECENT = _Recent()


def all_definitions(tx: Connection) -> list[Definition]:
    return [_COMPILED.get(row) for row in tx.execute(_ALL)]


def register(tx: Connection, definition: object, owner_account_id: str, now: datetime) -> Definition:
    """Register or replace a definition. ``owner_account_id`` "" is the operator, who may replace any."""
    document = check(definition)
    prefix = document["ServicePrefix"]
    existing = find(tx, prefix)
    _RECENT.drop(prefix)
    if existing is not None:
        if owner_account_id and existing.owner_account_id != owner_account_id:
            raise EntityAlreadyExists(f"Service prefix {prefix} is registered by another account.")
        tx.execute(delete(service_definitions).where(service_definitions.c.prefix == prefix))
    tx.execute(insert(service_definitions).values(
        prefix=prefix, id=str(uuid.uuid4()), owner_account_id=owner_account_id,
        document=json.dumps(document, sort_keys=True), registered_at=now.replace(microsecond=0)))
    found = find(tx, prefix)
    assert found is not None
    return found


def deregister(tx: Connection, prefix: str, owner_account_id: str) -> None:
    existing = find(tx, prefix)
    if existing is None:
        raise NoSuchEntity(f"No service is registered with prefix {prefix}.")
    if owner_account_id and existing.owner_account_id != owner_account_id:
        raise AccessDenied(f"Service prefix {prefix} is registered by another account.")
    tx.execute(delete(service_definitions).where(service_definitions.c.prefix == existing.prefix))
    _RECENT.drop(prefix)


def check_actions(tx: Connection, actions: list[str]) -> None:
    """An action of a registered prefix (or iamd's own) must be one its definition declares: InvalidInput
    naming it otherwise. Other prefixes (AWS's, unregistered ones) pass: policies may name any action."""
    for action in actions:
        prefix, _, name = action.partition(":")
        if prefix.lower() == api.SERVICE_PREFIX:
            known = {a["Name"].lower() for a in BUILT_IN["Actions"]}  # type: ignore[index]
        elif prefix.lower() in _aws_prefixes():
            continue
        else:
            definition = _RECENT.find(tx, prefix)
            if definition is None:
                continue
            known = set(definition.actions)
        if name.lower() not in known:
            raise InvalidInput(f"Action {action} is not an action of the registered service {prefix.lower()}.")


_AWS: frozenset[str] | None = None


def _aws_prefixes() -> frozenset[str]:
    global _AWS
    if _AWS is None:
        _AWS = frozenset(reference.all_services())
    return _AWS


def known_actions(tx: Connection) -> list[str]:
    """iamd's own and the registered services' actions (prefix:Name), for the console's editor."""
    names = [f"{api.SERVICE_PREFIX}:{a['Name']}" for a in BUILT_IN["Actions"]]  # type: ignore[index]
    for definition in all_definitions(tx):
        names += [f"{definition.prefix}:{name}" for name in definition.actions.values()]
    return names


# ---- operations of the authorization API --------------------------------------------------------

def _prefix_param(params: dict) -> str:
    prefix = params.get("ServicePrefix")
    if not isinstance(prefix, str) or not prefix:
        raise ValidationError("ServicePrefix is required.")
    return prefix.lower()


def register_operation(tx: Connection, call: Call, params: dict) -> dict:
    definition = params.get("Definition")
    prefix = definition.get("ServicePrefix") if isinstance(definition, dict) else None
    require(tx, call, api.REGISTER, service_arn(str(prefix or "*").lower()))
    return {"Service": register(tx, definition, call.account_id, call.now).describe()}


def get_operation(tx: Connection, call: Call, params: dict) -> dict:
    prefix = _prefix_param(params)
    require(tx, call, api.GET, service_arn(prefix))
    if prefix == api.SERVICE_PREFIX:
        return {"Service": {**BUILT_IN, "ServiceArn": service_arn(prefix)}}
    found = find(tx, prefix)
    if found is None:
        raise NoSuchEntity(f"No service is registered with prefix {prefix}.")
    return {"Service": found.describe()}


def list_operation(tx: Connection, call: Call, params: dict) -> dict:
    require(tx, call, api.LIST, "*")
    return {"Services": [{"ServicePrefix": d.prefix, "Name": d.document.get("Name", d.prefix),
                          "ServiceArn": service_arn(d.prefix), "OwnerAccountId": d.owner_account_id or None,
                          "Actions": len(d.actions)} for d in all_definitions(tx)]}


def deregister_operation(tx: Connection, call: Call, params: dict) -> dict:
    prefix = _prefix_param(params)
    require(tx, call, api.DEREGISTER, service_arn(prefix))
    deregister(tx, prefix, call.account_id)
    return {}


# ---- the console's policy editor ----------------------------------------------------------------

def editor_warnings(tx: Connection, document: str) -> list[dict]:
    """Actions of a registered prefix (or iamd's) that its definition does not declare, each with the line
    and column of its first mention, as AWS's editor warns of an unknown action; [] for text that is not
    JSON (check_policy reports that)."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return []
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    statements = statements if isinstance(statements, list) else [statements]
    named: list[str] = []
    for statement in statements:
        if isinstance(statement, dict):
            for key in ("Action", "NotAction"):
                value = statement.get(key)
                named += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    warnings = []
    for action in dict.fromkeys(named):
        if "*" in action or "?" in action or action.count(":") != 1:
            continue
        try:
            check_actions(tx, [action])
        except InvalidInput as unknown:
            line, column = _position(document, f'"{action}"')
            warnings.append({"message": unknown.message, "line": line, "column": column})
    return warnings


def _position(text: str, needle: str) -> tuple[int, int]:
    offset = max(text.find(needle), 0)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
