"""STS AssumeRole: the trust policy and the caller's own policies decide, then a role session.

The role's trust policy must allow the caller (``service/sts/trust.py``): naming the caller or its role is
enough in the role's account, naming the account defers to the caller's identity policies, and across
accounts both sides must allow. Session tags also need sts:TagSession, a source identity
sts:SetSourceIdentity, decided the same way. The session's permissions are the role's, narrowed by
session policies (Policy, PolicyArns).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from iamd.errors import AccessDenied, InvalidParameterValue, ValidationError
from iamd.policy import Request
from iamd.security.principal_kind import PrincipalKind
from iamd.service import policy_documents, resource_tags
from iamd.service.authorize import scope_refusal
from iamd.service.context import Call
from iamd.service.declare import Operation
from iamd.service.identities import roles, trust_principals
from iamd.service.request_context import request_context
from iamd.service.sts import role_sessions, trust
from iamd.service.sts.claims import check_mfa
from iamd.service.targets import Target

CHAINED_MAX_SECONDS = 3_600
_ROLE_ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$")


def assume_role(tx: Connection, call: Call, params: dict) -> dict:
    caller = call.principal
    role_arn = params["RoleArn"]
    if not _ROLE_ARN.match(role_arn):
        raise ValidationError(f"{role_arn} is invalid")
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    session_name = params["RoleSessionName"]
    new_tags = _session_tags(call, params)
    session_policy_text, policy_arns = policy_documents.session_policies(params)
    mfa = check_mfa(tx, call, params) if "SerialNumber" in params or "TokenCode" in params else None
    role = roles.find_role_by_arn(tx, role_arn)
    if role is None:
        raise _denied(caller.arn, "sts:AssumeRole", role_arn)
    refused = _refused_action(tx, call, role, role_arn, params, new_tags, mfa)
    if refused is not None:
        raise _denied(caller.arn, refused, role_arn)
    chained = caller.kind is PrincipalKind.ASSUMED_ROLE
    seconds = params.get("DurationSeconds", 3600)
    if chained and seconds > CHAINED_MAX_SECONDS:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                              "role chaining.")
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    session = call.session
    mfa_now = mfa if mfa is not None else bool(session and session.mfa)
    mfa_at = None
    if mfa_now:
        mfa_at = int(call.now.timestamp()) if mfa else session.mfa_at if session else None
    source_identity = params.get("SourceIdentity") or (session.source_identity if session else None) or None
    return role_sessions.start(tx, call, role, role_sessions.SessionRequest(
        session_name=session_name, seconds=seconds, tags=new_tags["all"], transitive=new_tags["transitive"],
        session_policy=session_policy_text, policy_arns=policy_arns, source_identity=source_identity,
        mfa=mfa_now, chained=chained, mfa_at=mfa_at))


def _denied(caller_arn: str, action: str, role_arn: str) -> AccessDenied:
    return AccessDenied(f"User: {caller_arn} is not authorized to perform: {action} on resource: {role_arn}",
                        action=action, resource=role_arn)


def _refused_action(tx, call: Call, role, role_arn: str, params: dict, new_tags: dict,
                    mfa: bool | None) -> str | None:
    """The first action the trust policy (and the caller's policies) refuse: sts:AssumeRole, then
    sts:TagSession when session tags are passed, sts:SetSourceIdentity when a source identity is.
    IAM User Guide, "Pass session tags in AWS STS" (permissions required to add session tags) and
    "Monitor and control actions taken with assumed roles" (sts:SetSourceIdentity)."""
    caller = call.principal
    loaded = call.env.authorizer.policies_of(tx, call)
    if not loaded.exists:  # a session of a deleted user or role: a trust policy naming its namesake is not for it
        return "sts:AssumeRole"
    # The role's tags (aws:ResourceTag/*, iam:ResourceTag/*): the Service Authorization Reference lists
    # them for sts:AssumeRole's role resource. One small query; the trust policy may read them too.
    target = resource_tags.of_target(tx, Target(role_arn, "role", role))
    context = request_context(call, params, loaded.tags, target)
    for key, value in new_tags["request"].items():
        context[f"aws:RequestTag/{key}"] = value
    if new_tags["request"]:
        context["aws:TagKeys"] = list(new_tags["request"])
    if new_tags["transitive_request"]:
        context["sts:TransitiveTagKeys"] = new_tags["transitive_request"]
    if "ExternalId" in params:
        context["sts:ExternalId"] = params["ExternalId"]
    if "SourceIdentity" in params:
        context["sts:SourceIdentity"] = params["SourceIdentity"]
    context["sts:RoleSessionName"] = params["RoleSessionName"]
    if mfa is not None:
        context["aws:MultiFactorAuthPresent"] = "true" if mfa else "false"
    # A trust policy names users and roles by the unique ids they had when it was saved: a namesake
    # re-created since then is not named (service/identities/trust_principals.py). It answers by its unique id.
    pinned = role.trust_principals
    caller_arn = caller.id if trust_principals.stale(pinned, caller.arn, caller.user_id) else caller.arn
    aliases: tuple[str, ...] = ()
    if caller.kind is PrincipalKind.ASSUMED_ROLE and call.session:
        role_of_session = f"arn:aws:iam::{caller.account_id}:role{call.session.path}{call.session.role_name}"
        if not trust_principals.stale(pinned, role_of_session, call.session.role_id):
            aliases = (role_of_session,)
    principal = trust.Principal(caller_arn, caller.account_id, aliases, loaded.policy_set)
    actions = ["sts:AssumeRole"]
    if new_tags["request"]:
        actions.append("sts:TagSession")
    if "SourceIdentity" in params:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        if not trust.decide(role.assume_role_policy, role_arn, action, principal, context).allowed:
            return action
    # Scoped credentials (GetScopedCredentials) narrow sts:AssumeRole too.
    request = Request(action="sts:AssumeRole", resource=role_arn, context=context, principal_arn=caller.arn,
                      principal_account=caller.account_id, principal_aliases=aliases)
    return "sts:AssumeRole" if scope_refusal(call, request) is not None else None


def _session_tags(call: Call, params: dict) -> dict:
    """Session tags: the requested ones and those passed on transitively by a chaining session."""
    requested = params.get("Tags", [])
    keys = [tag["Key"].lower() for tag in requested]
    if len(set(keys)) != len(keys):
        raise InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    transitive = params.get("TransitiveTagKeys", [])
    if any(key.lower() not in keys for key in transitive):
        raise InvalidParameterValue("The specified transitive tag key must be included in the requested tags.")
    session_tags = call.session.tags if call.session else {}
    inherited_keys = call.session.transitive_tag_keys if call.session else ()
    inherited = {key: session_tags[key] for key in inherited_keys if key in session_tags}
    if any(key.lower() in {k.lower() for k in inherited} for key in keys):
        raise InvalidParameterValue("One of the specified transitive tag keys can't be set because it conflicts "
                                    "with a transitive tag key from the calling session.")
    request_tags = {tag["Key"]: tag.get("Value", "") for tag in requested}
    return {"request": request_tags, "transitive_request": list(transitive),
            "all": {**inherited, **request_tags}, "transitive": [*inherited_keys, *transitive]}


def _role_arn(call: Call, params: dict) -> str:
    return params["RoleArn"]


OPERATIONS = (
    Operation("sts", "AssumeRole", assume_role, _role_arn, writes=True, changes_access=False),
)
