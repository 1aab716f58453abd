"""The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy,
GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy.

A simulation gathers policies (a user's inline and attached policies and those of its groups, a
group's, a role's, or documents given as strings), evaluates every action on every resource with
the policy engine, and words the decisions as AWS does (service/reports/simulator_results.py). Nothing is
performed and nothing is written. The request context is exactly the ContextEntries given: keys
that policies use and the entries lack are reported as MissingContextValues.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from iamd.errors import InvalidInput
from iamd.policy import Policy, check_policy, context_keys, parse_policy
from iamd.security import ids
from iamd.service import policy_documents, policy_sets, resources
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import groups, roles, users
from iamd.service.pagination import page_by_offset
from iamd.service.reports.simulator_results import IDENTITY_TYPE, RESOURCE_TYPE, Simulation, evaluate
from iamd.service.targets import Target

_KINDS = ("user", "group", "role")


@dataclass
class Entity:
    """The IAM entity a PolicySourceArn names: its policies, each with the text it came from."""

    kind: str
    name: str
    arn: str
    identity: list  # [(Policy, text)]
    boundary: list | None  # [(Policy, text)], None when no boundary is set


# ---- loading a principal's policies -------------------------------------------------------------

def _parse_arn(arn: str) -> tuple[str, str]:
    """(kind, name) of a user, group or role ARN; InvalidInput as AWS words it otherwise."""
    parsed = ids.parse_arn(arn)
    if parsed is not None and parsed.service == "iam" and parsed.resource_type in _KINDS and parsed.name:
        return parsed.resource_type, parsed.name
    raise InvalidInput(f"Invalid Entity Arn: {arn} does not clearly define entity type and name.")


def _simulator_id(holder: policy_sets.Holder, name: str) -> str:
    """An inline policy's id in the simulator's explanations, as AWS's: user_alice_PolicyName."""
    return f"{holder.kind}_{holder.name}_{name}"


def load_entity(tx: Connection, call: Call, arn: str) -> Entity:
    """The policies of the user, group or role ``arn`` names in the account; NoSuchEntity if none."""
    kind, name = _parse_arn(arn)
    if kind == "user":
        row = users.find_user(tx, call.account_id, name)
    elif kind == "group":
        row = groups.find_group(tx, call.account_id, name)
    else:
        row = roles.find_role(tx, call.account_id, name)
    loaded = policy_sets.load(tx, call.account_id, kind, row.id, call.env.authorizer.compiled, _simulator_id)
    identity = [(sourced.policy, sourced.text) for sourced in loaded.identity]
    boundary = None if loaded.boundary is None else [(sourced.policy, sourced.text) for sourced in loaded.boundary]
    return Entity(kind, row.name, ids.entity_arn(row.account_id, kind, row.path, row.name), identity, boundary)


def _compiled(text: str, policy_id: str, policy_type: str = IDENTITY_TYPE) -> tuple[Policy, str]:
    return parse_policy(text, policy_id=policy_id, policy_type=policy_type), text


# ---- parameters ---------------------------------------------------------------------------------

def _inputs(params: dict, name: str, kind: str = "identity") -> list[tuple[Policy, str]]:
    """Policies given as text. PolicyInputList holds identity policies, which may omit Version as
    inline ones do; a boundary is a managed policy, so it must say Version 2012-10-17."""
    texts = params.get(name) or []
    for text in texts:
        policy_documents.check_document(text, kind)
    return [_compiled(text, f"{name}.{index}") for index, text in enumerate(texts, 1)]


def _context(params: dict) -> dict:
    """ContextEntries as the engine takes them: a list (a multivalued key, which only ForAllValues:/
    ForAnyValue: operators match) for the *List types and for several values, a value otherwise."""
    context: dict = {}
    for entry in params.get("ContextEntries") or []:
        key = entry.get("ContextKeyName")
        if not key:
            continue
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        listed = str(entry.get("ContextKeyType", "")).endswith("List") or len(values) != 1
        value = values if listed else values[0]
        if key in context:
            previous = context[key]
            context[key] = (previous if isinstance(previous, list) else [previous]) + values
        else:
            context[key] = value
    return context


def _account_of(arn: str | None) -> str | None:
    if not arn:
        return None
    if len(arn) == 12 and arn.isdigit():
        return arn
    parsed = ids.parse_arn(arn)
    return parsed.account if parsed is not None and ids.is_account_id(parsed.account) else None


def _resource_policy(params: dict) -> tuple | None:
    text = params.get("ResourcePolicy")
    if text is None:
        return None
    # A role's trust policy (no Resource element) is accepted too, as AWS's simulator accepts one
    # (aws/aws-cli#10314 passes them as --resource-policy).
    if check_policy(text, "trust"):
        policy_documents.check_document(text, "resource")
    return _compiled(text, "ResourcePolicy", RESOURCE_TYPE)


def _simulate(params: dict, identity: list, boundary: list | None, caller_arn: str, account_id: str) -> dict:
    resource_policy = _resource_policy(params)
    if resource_policy is not None and not caller_arn:
        raise InvalidInput("CallerArn must be specified when a ResourcePolicy is included in the simulation.")
    caller_account = _account_of(caller_arn) or account_id
    owner = _account_of(params.get("ResourceOwner")) or caller_account
    resources = params.get("ResourceArns")
    simulation = Simulation(identity=identity, boundary=boundary, resource_policy=resource_policy,
                            caller_arn=caller_arn, caller_account=caller_account, resource_owner=owner,
                            context=_context(params), resources_given=bool(resources),
                            resources=list(resources) if resources else ["*"])
    actions = list(params.get("ActionNames") or [])
    chosen, paging = page_by_offset(actions, params)
    return {"EvaluationResults": [evaluate(simulation, action) for action in chosen], **paging}


# ---- operations ---------------------------------------------------------------------------------

def simulate_principal_policy(tx: Connection, call: Call, params: dict) -> dict:
    entity = load_entity(tx, call, params["PolicySourceArn"])
    identity = entity.identity + _inputs(params, "PolicyInputList")
    boundary = entity.boundary
    if params.get("PermissionsBoundaryPolicyInputList"):
        boundary = _inputs(params, "PermissionsBoundaryPolicyInputList", "managed")
    caller_arn = params.get("CallerArn") or (entity.arn if entity.kind == "user" else "")
    return _simulate(params, identity, boundary, caller_arn, call.account_id)


def simulate_custom_policy(tx: Connection, call: Call, params: dict) -> dict:
    identity = _inputs(params, "PolicyInputList")
    boundary = _inputs(params, "PermissionsBoundaryPolicyInputList", "managed") or None
    return _simulate(params, identity, boundary, params.get("CallerArn") or "", call.account_id)


def get_context_keys_for_principal_policy(tx: Connection, call: Call, params: dict) -> dict:
    entity = load_entity(tx, call, params["PolicySourceArn"])
    policies = [policy for policy, _ in entity.identity + _inputs(params, "PolicyInputList")]
    return {"ContextKeyNames": context_keys(policies)}


def get_context_keys_for_custom_policy(tx: Connection, call: Call, params: dict) -> dict:
    return {"ContextKeyNames": context_keys([policy for policy, _ in _inputs(params, "PolicyInputList")])}


def policy_source(call: Call, params: dict) -> str | Target:
    """The resource of the *PrincipalPolicy operations, for authorization: the entity simulated."""
    return resources.arn_target(call, params["PolicySourceArn"])


OPERATIONS = (
    iam("SimulatePrincipalPolicy", simulate_principal_policy, policy_source, writes=False),
    iam("SimulateCustomPolicy", simulate_custom_policy, any_resource, writes=False),
    iam("GetContextKeysForPrincipalPolicy", get_context_keys_for_principal_policy, policy_source, writes=False),
    iam("GetContextKeysForCustomPolicy", get_context_keys_for_custom_policy, any_resource, writes=False),
)
