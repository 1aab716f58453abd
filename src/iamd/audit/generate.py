"""A least-privilege policy from what a principal did, and the statements of its policies that went unused.

"IAM Access Analyzer policy generation" (IAM User Guide) reads CloudTrail for the actions a principal
used and writes a policy of them; iamd has each call's resolved action, resource ARN, context and
deciding statement in its own records, so the policy is exact:

- one statement per set of actions that touched the same resources; exact ARNs, except that more than
  ``COLLAPSE_AT`` resources of one type and path become ``<prefix>*`` (said in ``notes``);
- iam:PassRole on the roles actually passed (the records' additional actions);
- a condition suggested (never applied) where every call of a statement carried the same value;
- beside it, each statement of the principal's current policies that decided no call in the window.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from iamd.store.schema import events

COLLAPSE_AT = 5
_ALLOWED = "allowed"


@dataclass
class Generated:
    principal_arn: str
    policy: dict
    notes: list[str] = field(default_factory=list)
    suggested_conditions: dict = field(default_factory=dict)  # Sid → {key: value}
    unused: list[dict] = field(default_factory=list)  # statements that allowed nothing in the window
    calls: int = 0

    def as_json(self) -> dict:
        return {"principalArn": self.principal_arn, "policy": self.policy, "notes": self.notes,
                "suggestedConditions": self.suggested_conditions, "unusedStatements": self.unused,
                "callsAnalyzed": self.calls}


def principal_records(tx: Connection, account_id: str, principal_arn: str, start: datetime, end: datetime):
    """The records of the principal's calls in the window (a role: every session of it)."""
    query = (select(events.c.record).where(events.c.account_id == account_id,
                                           events.c.principal_key == principal_arn,
                                           events.c.event_ms >= int(start.timestamp() * 1000),
                                           events.c.event_ms <= int(end.timestamp() * 1000))
             .order_by(events.c.event_ms))
    for (text,) in tx.execute(query):
        yield json.loads(text)


def generate(principal_arn: str, records, current_policies=()) -> Generated:
    """``records``: CloudTrail records (dicts); ``current_policies``: the principal's compiled policies."""
    # action → resource → [context of each call]
    uses: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    used_statements: set[tuple] = set()
    calls = 0
    for record in records:
        decided = record.get("iamdAuthorization") or {}
        if decided.get("decision") != _ALLOWED or "resource" not in decided:
            continue
        calls += 1
        service = record["eventSource"].split(".", 1)[0]
        uses[f"{service}:{record['eventName']}"][decided["resource"]].append(decided.get("context") or {})
        for extra in decided.get("additional") or ():
            uses[extra["action"]][extra["resource"]].append(extra.get("context") or {})
        for matched in decided.get("matchedStatements") or ():
            if matched.get("effect") == "Allow":
                used_statements.add((matched["policyId"], matched.get("sid", ""), tuple(matched.get("start", ()))))

    out = Generated(principal_arn, {"Version": "2012-10-17", "Statement": []}, calls=calls)
    # Actions that touched the same resources share a statement.
    by_resources: dict[tuple, list[str]] = defaultdict(list)
    contexts: dict[tuple, list[dict]] = defaultdict(list)
    # iam:PassRole keeps a statement of its own, where its condition (iam:PassedToService) fits.
    for action in sorted(uses):
        key = (_collapse(sorted(uses[action]), out.notes), action == "iam:PassRole")
        by_resources[key].append(action)
        for calls_of_resource in uses[action].values():
            contexts[key].extend(calls_of_resource)
    for number, (key, actions) in enumerate(sorted(by_resources.items(), key=lambda item: item[1]), 1):
        resources = key[0]
        sid = f"Generated{number}"
        statement = {"Sid": sid, "Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
                     "Resource": list(resources) if len(resources) > 1 else resources[0]}
        out.policy["Statement"].append(statement)
        same = _same_values(contexts[key])
        if same:
            out.suggested_conditions[sid] = same
    out.unused = _unused(current_policies, used_statements)
    return out


def _collapse(resources: list[str], notes: list[str]) -> tuple:
    """Many resources of one type and path → one wildcard, said in the notes."""
    if "*" in resources:
        return ("*",)
    groups: dict[str, list[str]] = defaultdict(list)
    for arn in resources:
        prefix = arn.rsplit("/", 1)[0] + "/" if "/" in arn else arn
        groups[prefix].append(arn)
    out = []
    for prefix, members in groups.items():
        if len(members) > COLLAPSE_AT and prefix.endswith("/"):
            out.append(prefix + "*")
            notes.append(f"{len(members)} resources under {prefix} collapsed to {prefix}*")
        else:
            out.extend(members)
    return tuple(sorted(set(out)))


def _same_values(contexts: list[dict]) -> dict:
    if not contexts:
        return {}
    first = contexts[0]
    return {key: value for key, value in first.items() if all(c.get(key) == value for c in contexts[1:])}


def _unused(policies, used: set[tuple]) -> list[dict]:
    found = []
    for policy in policies:
        for statement in policy.statements:
            if statement.effect != "Allow":
                continue
            if (policy.policy_id, statement.sid, tuple(statement.start)) not in used:
                found.append({"policyId": policy.policy_id, "policyType": policy.policy_type,
                              "sid": statement.sid, "line": statement.start[0] if statement.start else 0})
    return found
