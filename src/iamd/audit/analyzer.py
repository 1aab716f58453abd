"""Access Analyzer's policy generation on iamd's own records ("StartPolicyGeneration",
"GetGeneratedPolicy", "ListPolicyGenerations", IAM Access Analyzer API Reference).

AWS reads a trail through a service role and takes minutes; iamd reads its records in the request and
the job is SUCCEEDED when StartPolicyGeneration answers. ``cloudTrailDetails`` is optional here (its
trails and accessRole are accepted and echoed, as there is nothing to read them from); without it the
window is the last 90 days. Generation jobs are kept, as AWS keeps them, for reading.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select

from iamd.audit.errors import JsonValidation, ResourceNotFound, Serialization
from iamd.audit.generate import Generated, generate, principal_records
from iamd.service import policy_sets
from iamd.service.context import Call
from iamd.store.schema import policy_generations, roles, users

DEFAULT_WINDOW = timedelta(days=90)
_PRINCIPAL = re.compile(r"arn:aws:iam::(\d{12}):(user|role)(/(?:[^/]+/)*)?([\w+=,.@-]+)")


def generate_for(tx: Connection, account_id: str, principal_arn: str, start: datetime, end: datetime,
                 compiled: policy_sets.CompiledManagedPolicies | None = None) -> Generated:
    """The policy for a user or role of the account, from its records in [start, end]."""
    match = _PRINCIPAL.fullmatch(principal_arn)
    if match is None or match.group(1) != account_id:
        raise JsonValidation(f"Invalid principal ARN: {principal_arn}. It must be the ARN of an IAM user or "
                             f"role in account {account_id}.", "other", ("principalArn",))
    kind, name = match.group(2), match.group(4)
    table = users if kind == "user" else roles
    entity_id = tx.scalar(select(table.c.id).where(table.c.account_id == account_id,
                                                   table.c.name_key == name.lower()))
    if entity_id is None:
        raise JsonValidation(f"The principal {principal_arn} does not exist.", "other", ("principalArn",))
    loaded = policy_sets.load(tx, account_id, kind, entity_id, compiled or policy_sets.CompiledManagedPolicies())
    return generate(principal_arn, principal_records(tx, account_id, principal_arn, start, end),
                    loaded.policy_set.identity)


def start_policy_generation(tx: Connection, call: Call, params: dict) -> dict:
    details = params.get("policyGenerationDetails") or {}
    trail = params.get("cloudTrailDetails") or {}
    if not isinstance(details, dict) or not isinstance(trail, dict):
        raise Serialization("Unexpected value type for policyGenerationDetails or cloudTrailDetails.")
    trails = trail.get("trails") or []
    if not isinstance(trails, list) or not all(isinstance(t, dict) for t in trails):
        raise Serialization("Unexpected value type for cloudTrailDetails.trails.")
    for name in ("startTime", "endTime"):
        if trail.get(name) is not None and (not isinstance(trail[name], (int, float)) or isinstance(trail[name], bool)):
            raise Serialization(f"Unexpected value type for cloudTrailDetails.{name}.")
    token = params.get("clientToken")
    if token is not None and (not isinstance(token, str) or len(token) > 64):
        raise JsonValidation("clientToken must be a string of at most 64 characters.", "fieldValidationFailed",
                             ("clientToken",))
    if token:  # a retry of a request that succeeded: its job, and nothing more
        known = tx.scalar(select(policy_generations.c.job_id).where(policy_generations.c.account_id == call.account_id,
                                                                    policy_generations.c.client_token == token))
        if known is not None:
            return {"jobId": known}
    principal_arn = details.get("principalArn")
    if not isinstance(principal_arn, str):
        raise JsonValidation("policyGenerationDetails.principalArn is required.", "fieldValidationFailed",
                             ("policyGenerationDetails.principalArn",))
    # Not the call's time (whole seconds): the calls of this very second count.
    end = _time(trail.get("endTime")) or datetime.now(UTC)
    start = _time(trail.get("startTime")) or end - DEFAULT_WINDOW
    if start > end:
        raise JsonValidation("The start time must be before the end time.", "other", ("cloudTrailDetails.startTime",))
    generated = generate_for(tx, call.account_id, principal_arn, start, end, call.env.authorizer.compiled)
    job_id = str(uuid.uuid4())
    result = {**generated.as_json(), "trails": trail.get("trails") or []}
    tx.execute(insert(policy_generations).values(
        job_id=job_id, account_id=call.account_id, principal_arn=principal_arn, status="SUCCEEDED",
        started_on=call.now, completed_on=call.now, start_time=start, end_time=end, result=json.dumps(result),
        client_token=token))
    return {"jobId": job_id}


def get_generated_policy(tx: Connection, call: Call, params: dict) -> dict:
    row = tx.execute(select(policy_generations).where(policy_generations.c.job_id == params.get("jobId"),
                                                      policy_generations.c.account_id == call.account_id)).first()
    if row is None:
        raise ResourceNotFound(f"Could not find a policy generation job with id {params.get('jobId')}.",
                               str(params.get("jobId")), "PolicyGeneration")
    result = json.loads(row.result)
    trails = [{"cloudTrailArn": t.get("cloudTrailArn"), "regions": t.get("regions") or [],
               "allRegions": bool(t.get("allRegions"))} for t in result.get("trails", []) if t.get("cloudTrailArn")]
    return {
        "jobDetails": _job(row),
        "generatedPolicyResult": {
            "properties": {"isComplete": True, "principalArn": row.principal_arn,
                           "cloudTrailProperties": {"trailProperties": trails, "startTime": row.start_time,
                                                    "endTime": row.end_time}},
            "generatedPolicies": [{"policy": json.dumps(result["policy"], indent=2)}] if result["policy"]["Statement"]
            else [],
        },
        # iamd's additions (botocore's parser passes over members it does not know):
        "iamd": {key: result[key] for key in ("notes", "suggestedConditions", "unusedStatements", "callsAnalyzed")},
    }


def list_policy_generations(tx: Connection, call: Call, params: dict) -> dict:
    limit = params.get("maxResults") or 100
    if not 1 <= limit <= 1000:
        raise JsonValidation("maxResults must be between 1 and 1000.", "fieldValidationFailed", ("maxResults",))
    offset = _offset(params.get("nextToken"))
    query = select(policy_generations).where(policy_generations.c.account_id == call.account_id)
    if params.get("principalArn"):
        query = query.where(policy_generations.c.principal_arn == params["principalArn"])
    rows = tx.execute(query.order_by(policy_generations.c.started_on.desc(), policy_generations.c.job_id)
                      .offset(offset).limit(limit + 1)).all()
    out: dict = {"policyGenerations": [{**_job(row), "principalArn": row.principal_arn} for row in rows[:limit]]}
    if len(rows) > limit:
        out["nextToken"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
    return out


def _job(row) -> dict:
    return {"jobId": row.job_id, "status": row.status, "startedOn": row.started_on, "completedOn": row.completed_on}


def _offset(token) -> int:
    if not token:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(token.encode()).decode()))
    except (ValueError, UnicodeDecodeError):
        raise JsonValidation("Invalid pagination token.", "other", ("nextToken",)) from None


def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)
