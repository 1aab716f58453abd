"""Amazon DynamoDB: table and index ARNs, dynamodb:LeadingKeys, Attributes, Select, ReturnValues.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon DynamoDB";
the DynamoDB Developer Guide's "Using IAM policy conditions for fine-grained access control" (LeadingKeys
is the partition key's value(s), Attributes the attribute names the request reads or writes) and
"Authorization for transactions" (TransactWriteItems and TransactGetItems are authorized as the
individual PutItem, UpdateItem, DeleteItem, ConditionCheckItem and GetItem actions on each table).

dynamodb:LeadingKeys needs the table's partition key name. ``Target.key_schema`` (the edge's lookup,
e.g. a cached DescribeTable at the upstream) gives it; without it, a key with a single attribute is its
partition key, and with several the values of all of them are given (a policy bounding LeadingKeys then
refuses rather than allows: never wider than AWS).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from iamd.gateway.authz import AuthorizationItem, ContextValue, Target, add, item

PREFIX = "dynamodb"

_TABLE_MEMBER = "TableName"
_NAME_TOKEN = re.compile(r"#?[A-Za-z_][A-Za-z0-9_]*")
_RESERVED_UPDATE = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "IN", "BETWEEN",
                    "if_not_exists", "list_append", "attribute_exists", "attribute_not_exists",
                    "attribute_type", "begins_with", "contains", "size"}


def _scalar(value: Any) -> str | None:
    """An AttributeValue ({"S": "x"}, {"N": "1"}, {"B": ...}) as the string policies compare."""
    if isinstance(value, Mapping):
        for kind in ("S", "N", "B"):
            if kind in value:
                v = value[kind]
                return v if isinstance(v, str) else str(v)
    return None


def _partition_key(t: Target, table: str) -> str | None:
    if t.key_schema is None:
        return None
    return t.key_schema(t.account, t.region, table)


def _leading(t: Target, table: str, keys: Iterable[Mapping[str, Any]]) -> list[str]:
    pk = _partition_key(t, table)
    values: list[str] = []
    for key in keys:
        if not isinstance(key, Mapping):
            continue
        if pk is not None:
            names = [pk] if pk in key else []
        elif len(key) == 1:
            names = list(key)
        else:
            names = list(key)  # unknown schema: every attribute (refuses rather than allows)
        for name in names:
            v = _scalar(key[name])
            if v is not None and v not in values:
                values.append(v)
    return values


def _names(expression: str | None, aliases: Mapping[str, str] | None) -> list[str]:
    """Top-level attribute names of a projection or update expression (#aliases resolved)."""
    if not expression:
        return []
    out: list[str] = []
    for path in re.split(r"[,\s=+\-()]+", expression):
        token = _NAME_TOKEN.match(path)
        if token is None or path.startswith(":") or token.group(0) in _RESERVED_UPDATE:
            continue
        name = token.group(0)
        if name.startswith("#"):
            name = (aliases or {}).get(name, name)
        if name not in out:
            out.append(name)
    return out


def _query_leading(t: Target, table: str, params: Mapping[str, Any]) -> list[str]:
    conditions = params.get("KeyConditions")
    if isinstance(conditions, Mapping):
        pk = _partition_key(t, table)
        for name, cond in conditions.items():
            if (pk is None or name == pk) and cond.get("ComparisonOperator") == "EQ":
                scalars = [_scalar(v) for v in cond.get("AttributeValueList", [])]
                equal = [v for v in scalars if v is not None]
                if equal:
                    return equal
    expression = params.get("KeyConditionExpression")
    if isinstance(expression, str):
        names = params.get("ExpressionAttributeNames") or {}
        values = params.get("ExpressionAttributeValues") or {}
        pk = _partition_key(t, table)
        found: list[str] = []
        for m in re.finditer(r"(#?[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(:[A-Za-z0-9_]+)", expression):
            name = names.get(m.group(1), m.group(1))
            if pk is None or name == pk:
                v = _scalar(values.get(m.group(2)))
                if v is not None:
                    found.append(v)
        return found
    return []


def _attributes(params: Mapping[str, Any], op: str) -> list[str]:
    aliases = params.get("ExpressionAttributeNames")
    names: list[str] = []
    names += [n for n in params.get("AttributesToGet") or [] if isinstance(n, str)]
    names += _names(params.get("ProjectionExpression"), aliases)
    if op == "PutItem" and isinstance(params.get("Item"), Mapping):
        names += list(params["Item"])
    if op == "UpdateItem":
        names += list(params.get("AttributeUpdates") or {})
        names += _names(params.get("UpdateExpression"), aliases)
    return list(dict.fromkeys(names))


def _context(t: Target, table: str, params: Mapping[str, Any], op: str,
             keys: Iterable[Mapping[str, Any]]) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {}
    leading = _query_leading(t, table, params) if op == "Query" else _leading(t, table, keys)
    if leading:
        ctx["dynamodb:LeadingKeys"] = leading
    attributes = _attributes(params, op)
    if attributes:
        ctx["dynamodb:Attributes"] = attributes
    add(ctx, "dynamodb:Select", params.get("Select"))
    add(ctx, "dynamodb:ReturnValues", params.get("ReturnValues"))
    add(ctx, "dynamodb:ReturnConsumedCapacity", params.get("ReturnConsumedCapacity"))
    return ctx


def _table_values(table: str, index: str | None = None) -> dict[str, str]:
    if table.startswith("arn:"):  # DynamoDB takes a table ARN wherever it takes a name
        table = table.split(":table/", 1)[-1].split("/", 1)[0]
    values = {"TableName": table}
    if index:
        values["IndexName"] = index
    return values


def _owner(table: str) -> str | None:
    if table.startswith("arn:"):
        parts = table.split(":")
        return parts[4] if len(parts) > 5 else None
    return None


def items(t: Target) -> list[AuthorizationItem]:
    op, params = t.operation, t.params
    if op == "BatchGetItem":
        return [_table_item(t, "BatchGetItem", table, spec, op, spec.get("Keys", []))
                for table, spec in (params.get("RequestItems") or {}).items()]
    if op == "BatchWriteItem":
        out = []
        for table, requests in (params.get("RequestItems") or {}).items():
            keys = [r["PutRequest"].get("Item", {}) if "PutRequest" in r else r.get("DeleteRequest", {}).get("Key", {})
                    for r in requests]
            out.append(_table_item(t, "BatchWriteItem", table, {}, op, keys))
        return out
    if op == "TransactWriteItems":
        out = []
        for entry in params.get("TransactItems") or []:
            for kind, action in (("Put", "PutItem"), ("Update", "UpdateItem"), ("Delete", "DeleteItem"),
                                 ("ConditionCheck", "ConditionCheckItem")):
                if kind in entry:
                    spec = entry[kind]
                    key = spec.get("Item") if kind == "Put" else spec.get("Key")
                    out.append(_table_item(t, action, spec.get("TableName", ""), spec, action, [key or {}],
                                           enclosing="TransactWriteItems"))
        return out
    if op == "TransactGetItems":
        out = []
        for entry in params.get("TransactItems") or []:
            spec = entry.get("Get", {})
            out.append(_table_item(t, "GetItem", spec.get("TableName", ""), spec, "GetItem",
                                   [spec.get("Key") or {}], enclosing="TransactGetItems"))
        return out
    if op in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        return _partiql(t)
    table = params.get(_TABLE_MEMBER)
    if isinstance(table, str):
        key = params.get("Key") or params.get("Item") or {}
        return [_table_item(t, op, table, params, op, [key] if key else [])]
    arn = params.get("ResourceArn") or params.get("StreamArn") or params.get("BackupArn")
    if isinstance(arn, str) and ":table/" in arn:
        values = _table_values(arn)
        rest = arn.split(":table/", 1)[1]
        if "/stream/" in rest:
            values["StreamLabel"] = rest.split("/stream/", 1)[1]
        if "/backup/" in rest:
            values["BackupName"] = rest.split("/backup/", 1)[1]
        return [item(PREFIX, op, t, values, owner=_owner(arn))]
    global_table = params.get("GlobalTableName")
    if isinstance(global_table, str):
        return [item(PREFIX, op, t, {"GlobalTableName": global_table})]
    return [item(PREFIX, op, t)]


def _table_item(t: Target, action: str, table: str, spec: Mapping[str, Any], op: str,
                keys: Iterable[Mapping[str, Any]], enclosing: str | None = None) -> AuthorizationItem:
    name = _table_values(table)["TableName"]
    ctx = _context(t, name, spec, op, keys)
    if enclosing:
        ctx["dynamodb:EnclosingOperation"] = enclosing
    return item(PREFIX, action, t, _table_values(table, spec.get("IndexName")), ctx, owner=_owner(table))


_PARTIQL_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?([A-Za-z0-9_.\-]+)\"?(?:\.\"?([A-Za-z0-9_.\-]+)\"?)?",
                            re.IGNORECASE)


def _partiql(t: Target) -> list[AuthorizationItem]:
    """PartiQL statements: dynamodb:PartiQL<Verb> on the statement's table (and index)."""
    params = t.params
    statements: list[str] = []
    if isinstance(params.get("Statement"), str):
        statements.append(params["Statement"])
    for entry in params.get("Statements") or params.get("TransactStatements") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("Statement"), str):
            statements.append(entry["Statement"])
    out = []
    for statement in statements:
        verb = statement.strip().split(None, 1)[0].upper() if statement.strip() else ""
        action = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate",
                  "DELETE": "PartiQLDelete", "EXISTS": "PartiQLSelect"}.get(verb)
        if action is None:
            out.append(item(PREFIX, "PartiQLSelect", t))
            continue
        m = _PARTIQL_TABLE.search(statement)
        values = _table_values(m.group(1), m.group(2)) if m else {}
        out.append(item(PREFIX, action, t, values))
    return out or [item(PREFIX, "PartiQLSelect", t)]
