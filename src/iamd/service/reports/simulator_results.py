"""The policy simulator's evaluation: one EvaluationResult per action, one ResourceSpecificResult per
resource, as SimulatePrincipalPolicy and SimulateCustomPolicy return them.

What goes in is a :class:`Simulation`: compiled policies with the text they came from (statement
positions are reported against that text), the caller, the resource owner and the context entries.
Each (action, resource) is decided by the policy engine; this module only words the decisions.

AWS's conventions, as its responses show them:

* ``SourcePolicyType`` is "IAM Policy" for identity policies and boundaries, "Resource Policy" for
  the ResourcePolicy parameter; ``SourcePolicyId`` is "PolicyInputList.N",
  "PermissionsBoundaryPolicyInputList.N", "ResourcePolicy", "user_<user>_<policy>",
  "group_<group>_<policy>", "role_<role>_<policy>", or a managed policy's name.
* ``StartPosition`` is where AWS's JSON reader stands before it reads the statement: just past the
  ``[`` for the first statement of an array, just past the previous statement's ``}`` for the others,
  just past the ``{`` when Statement is a single object. ``EndPosition`` is just past the ``}``.
  Lines and columns count from 1.
* ``EvalResourceName`` is the resource asked about (the first one when several are given, ``*`` when
  none is); the decision for each given resource is in ``ResourceSpecificResults``. The top-level
  decision is the most restrictive one, with the statements that made it and every missing key.
* ``OrganizationsDecisionDetail`` says ``AllowedByOrganizations``: always true here, since iamd has no
  service control policies.
* An explicit deny reports the deny statements only; an implicit deny reports none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iamd.policy import Decision, PolicySet, Request, authorize
from iamd.policy.checks import TRUST_ACTIONS

IDENTITY_TYPE = "IAM Policy"
RESOURCE_TYPE = "Resource Policy"
_RANK = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}


@dataclass
class Simulation:
    identity: list  # [(Policy, text)]
    boundary: list | None  # [(Policy, text)] or None: no boundary in force
    resource_policy: tuple | None  # (Policy, text) or None
    caller_arn: str
    caller_account: str
    resource_owner: str  # account id that owns resources whose ARN names no account
    context: dict
    resources_given: bool
    resources: list = field(default_factory=lambda: ["*"])
    _texts: dict = field(default_factory=dict, init=False)
    _policy_set: PolicySet | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        for policy, text in self.identity:
            self._texts[(policy.policy_id, "identity")] = text
        for policy, text in self.boundary or ():
            self._texts[(policy.policy_id, "boundary")] = text
        if self.resource_policy is not None:
            policy, text = self.resource_policy
            self._texts[(policy.policy_id, "resource")] = text

    def policy_set(self, same_account: bool, trust: bool = False) -> PolicySet:
        return PolicySet(
            identity=tuple(p for p, _ in self.identity),
            boundary=None if self.boundary is None else tuple(p for p, _ in self.boundary),
            resource=(self.resource_policy[0],) if self.resource_policy is not None else (),
            resource_alone_grants=same_account,
            trust=trust,
        )

    def text_of(self, policy_id: str, part: str) -> str | None:
        return self._texts.get((policy_id, part))


def evaluate(simulation: Simulation, action: str) -> dict:
    """The EvaluationResult of one action over every resource of the simulation."""
    per_resource = []
    # For the actions a role's trust policy governs, the ResourcePolicy is weighed as STS weighs a trust
    # policy: it must name the caller even in its own account (AWS's simulator is reported to skip it
    # for these actions, aws/aws-cli#10314, a bug; AssumeRole itself does not).
    trust = action.lower() in TRUST_ACTIONS
    for resource in simulation.resources:
        owner = _owner(resource) or simulation.resource_owner
        same_account = owner == simulation.caller_account
        request = Request(action=action, resource=resource, context=simulation.context,
                          principal_arn=simulation.caller_arn, principal_account=simulation.caller_account)
        decision = authorize(request, simulation.policy_set(same_account, trust))
        per_resource.append((resource, decision, same_account))

    top = max((d.decision for _, d, _ in per_resource), key=_RANK.__getitem__)
    matched: list = []
    missing: list = []
    for _, decision, _ in per_resource:
        if decision.decision == top:
            for statement in _statements(simulation, decision):
                if statement not in matched:
                    matched.append(statement)
        for key in decision.missing_context_values:
            if key.lower() not in (m.lower() for m in missing):
                missing.append(key)
    result: dict = {
        "EvalActionName": action,
        "EvalResourceName": simulation.resources[0],
        "EvalDecision": top,
        "MatchedStatements": matched,
        "MissingContextValues": sorted(missing, key=str.lower),
    }
    details = [_details(simulation, d, same) for r, d, same in per_resource if r != "*" or not same]
    if details:
        result["EvalDecisionDetails"] = _most_restrictive(details)
    result["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": True}
    if simulation.boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": all(_boundary_allows(d) for _, d, _ in per_resource)}
    if simulation.resources_given:
        result["ResourceSpecificResults"] = [
            _resource_result(simulation, resource, decision, same) for resource, decision, same in per_resource]
    return result


def _resource_result(simulation: Simulation, resource: str, decision: Decision, same_account: bool) -> dict:
    result: dict = {
        "EvalResourceName": resource,
        "EvalResourceDecision": decision.decision,
        "MatchedStatements": _statements(simulation, decision),
        "MissingContextValues": list(decision.missing_context_values),
    }
    if not same_account:
        result["EvalDecisionDetails"] = _details(simulation, decision, same_account)
    if simulation.boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": _boundary_allows(decision)}
    return result


def _statements(simulation: Simulation, decision: Decision) -> list:
    out = []
    for matched in decision.matched:
        text = simulation.text_of(matched.policy_id, matched.part)
        start = aws_start(text, matched.start) if text is not None else matched.start
        out.append({
            "SourcePolicyId": matched.policy_id,
            "SourcePolicyType": matched.policy_type,
            "StartPosition": {"Line": start[0], "Column": start[1]},
            "EndPosition": {"Line": matched.end[0], "Column": matched.end[1]},
        })
    return out


def _boundary_allows(decision: Decision) -> bool:
    denied_here = decision.decision == "explicitDeny" and any(m.part == "boundary" for m in decision.matched)
    return bool(decision.boundary_allowed) and not denied_here


def _details(simulation: Simulation, decision: Decision, same_account: bool) -> dict:
    """EvalDecisionDetails: empty within one account, else each policy type's own decision."""
    if same_account:
        return {}
    details = {IDENTITY_TYPE: _part_decision(decision, "identity", decision.identity_allowed)}
    if simulation.resource_policy is not None:
        details[RESOURCE_TYPE] = _part_decision(decision, "resource", decision.resource_allowed)
    return details


def _part_decision(decision: Decision, part: str, allowed: bool | None) -> str:
    if decision.decision == "explicitDeny" and any(m.part == part for m in decision.matched):
        return "explicitDeny"
    return "allowed" if allowed else "implicitDeny"


def _most_restrictive(details: list[dict]) -> dict:
    merged: dict = {}
    for entry in details:
        for key, value in entry.items():
            if key not in merged or _RANK[value] > _RANK[merged[key]]:
                merged[key] = value
    return merged


def _owner(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


def aws_start(text: str, start: tuple) -> tuple:
    """AWS's StartPosition for a statement whose ``{`` stands at ``start`` (1-based line, column)."""
    lines = [0]
    for index, char in enumerate(text):
        if char == "\n":
            lines.append(index + 1)
    line, column = start
    if line > len(lines):
        return start
    brace = lines[line - 1] + column - 1
    i = brace - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    if i < 0:
        return start
    if text[i] == "[":
        offset = i + 1
    elif text[i] == ",":
        i -= 1
        while i >= 0 and text[i] in " \t\r\n":
            i -= 1
        offset = i + 1
    else:  # "Statement": {...} -- a single statement object
        offset = brace + 1
    line = sum(1 for s in lines if s <= offset)
    return line, offset - lines[line - 1] + 1
