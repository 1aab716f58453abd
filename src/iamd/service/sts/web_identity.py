"""STS AssumeRoleWithWebIdentity: a token from an OpenID Connect issuer for a role session.

The request is unsigned, as in AWS: the token is the caller's only credential, so only the role's
trust policy decides, evaluated with the policy engine directly against the federated principal
(``Principal: {"Federated": <provider ARN>}``) with the token's claims as condition keys.

    token read (not yet trusted) → the provider its ``iss`` names, in the role's account
    → the issuer's keys (federation/keys.py) → signature → exp/nbf/iat → audience (client id list)
    → trust policy (sts:AssumeRoleWithWebIdentity; sts:TagSession with session tags;
      sts:SetSourceIdentity with a source identity) → a role session

The keys are fetched first by ``_prepare_keys``, outside the request's transaction (a slow issuer must
not hold the store's write lock); the handler then finds them in the key source's cache.

Sources: STS API reference "AssumeRoleWithWebIdentity"; IAM User Guide "Available keys for AWS OIDC
federation", "Passing session tags using AssumeRoleWithWebIdentity", "Create an OpenID Connect (OIDC)
identity provider in IAM".
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Connection, select

from iamd.errors import (
    AccessDenied,
    InvalidIdentityToken,
    ValidationError,
)
from iamd.federation import claims as token_claims, tokens
from iamd.policy import PolicySet, Request, authorize as evaluate, parse_policy
from iamd.service import policy_documents
from iamd.service.context import Call
from iamd.service.declare import Operation
from iamd.service.identities import roles
from iamd.service.providers import oidc_providers
from iamd.service.sts import role_sessions
from iamd.store.schema import oidc_providers as provider_table

ACTION = "sts:AssumeRoleWithWebIdentity"
_ROLE_ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$")
DENIED = f"Not authorized to perform {ACTION}"


def _provider(tx: Connection, account_id: str, issuer: str):
    """The OIDC provider of the role's account whose URL is the token's issuer, or None."""
    if not issuer.startswith(oidc_providers.SCHEME):
        return None
    arn = oidc_providers.provider_arn(account_id, issuer)
    return tx.execute(select(provider_table).where(provider_table.c.arn == arn,
                                                   provider_table.c.account_id == account_id)).first()


def _verified_token(tx: Connection, call: Call, raw: str, account_id: str) -> tuple:
    """(provider row, claims, audiences, client id) of a token whose issuer, signature, times, audience
    and subject all hold; else the error AWS answers."""
    token = tokens.read(raw)
    issuer = token.claims["iss"]
    provider = _provider(tx, account_id, issuer)
    if provider is None:
        raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
    key_source = call.env.oidc_keys
    if key_source is None:  # every environment that serves STS has one (service/runtime.py)
        raise RuntimeError("no source of web identity issuers' keys")
    keys = key_source.keys(issuer, json.loads(provider.thumbprints), token.kid)
    claims = tokens.verify_signature(raw, token, tokens.matching_keys(token, keys))
    tokens.check_times(claims, int(call.now.timestamp()))
    audiences = tokens.audiences(claims)
    client_id = token_claims.audience(claims, json.loads(provider.client_ids), audiences)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdentityToken(tokens.NOT_VALID)
    return provider, claims, audiences, client_id


def assume_role_with_web_identity(tx: Connection, call: Call, params: dict) -> dict:
    role_arn = params["RoleArn"]
    if not _ROLE_ARN.match(role_arn):
        raise ValidationError(f"{role_arn} is invalid")
    session_policy, policy_arns = policy_documents.session_policies(params)
    provider, claims, audiences, client_id = _verified_token(tx, call, params["WebIdentityToken"],
                                                             role_arn.split(":")[4])
    subject = claims["sub"]
    new_tags = token_claims.session_tags(claims)
    source_identity = token_claims.source_identity(claims)

    role = roles.find_role_by_arn(tx, role_arn)
    if role is None or not _trusted(call, role, provider, claims, audiences, client_id, params, new_tags,
                                    source_identity):
        raise AccessDenied(DENIED, action=ACTION)
    seconds = params.get("DurationSeconds", 3600)
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    result = role_sessions.start(tx, call, role, role_sessions.SessionRequest(
        session_name=params["RoleSessionName"], seconds=seconds, tags=new_tags["tags"],
        transitive=new_tags["transitive"], session_policy=session_policy, policy_arns=policy_arns,
        source_identity=source_identity, federated_provider=provider.arn))
    result["SubjectFromWebIdentityToken"] = subject
    # AWS: "For OpenID Connect ID tokens, this contains the value of the iss field."
    result["Provider"] = claims["iss"]
    result["Audience"] = client_id
    return result


def _trusted(call: Call, role, provider, claims: dict, audiences: list[str], client_id: str, params: dict,
             new_tags: dict, source_identity: str | None) -> bool:
    """Whether the trust policy allows the federated principal each action the request needs."""
    trust = parse_policy(role.assume_role_policy, policy_id="TrustPolicy", policy_type="Trust Policy")
    context = {
        "aws:FederatedProvider": provider.arn,
        "aws:CurrentTime": call.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(call.now.timestamp())),
        "aws:SecureTransport": "true" if call.secure_transport else "false",
        "aws:RequestedRegion": call.region,
        "sts:RoleSessionName": params["RoleSessionName"],
        **token_claims.condition_keys(provider.url, claims, audiences, client_id),
    }
    if call.source_ip:
        context["aws:SourceIp"] = call.source_ip
    if call.user_agent:
        context["aws:UserAgent"] = call.user_agent
    actions = [ACTION]
    if new_tags["tags"]:
        actions.append("sts:TagSession")
        for key, value in new_tags["tags"].items():
            context[f"aws:RequestTag/{key}"] = value
        context["aws:TagKeys"] = list(new_tags["tags"])
        if new_tags["transitive"]:
            context["sts:TransitiveTagKeys"] = new_tags["transitive"]
    if source_identity is not None:
        actions.append("sts:SetSourceIdentity")
        context["sts:SourceIdentity"] = source_identity
    # Only the trust policy, and only a statement naming the provider itself (or "*"), can allow.
    policy_set = PolicySet(resource=(trust,), resource_alone_grants=True)
    resource = roles.role_arn(role)
    return all(evaluate(Request(action=action, resource=resource, context=context, principal_arn=provider.arn,
                                explain=False), policy_set).allowed
               for action in actions)


def _prepare_keys(tx: Connection, env, params: dict):
    """The issuer's keys, fetched before the request's transaction so that a slow issuer never holds the
    store's write lock; the handler then finds them cached. Anything wrong is left to the handler, which
    reports problems in AWS's order."""
    try:
        if not _ROLE_ARN.match(params["RoleArn"]):
            return None
        token = tokens.read(params["WebIdentityToken"])
    except InvalidIdentityToken:
        return None
    issuer = token.claims["iss"]
    provider = _provider(tx, params["RoleArn"].split(":")[4], issuer)
    if provider is None:
        return None
    thumbprints = json.loads(provider.thumbprints)
    return lambda: env.oidc_keys.keys(issuer, thumbprints, token.kid)


def _role_resource(call: Call, params: dict) -> str:
    return params["RoleArn"]


OPERATIONS = (
    Operation("sts", "AssumeRoleWithWebIdentity", assume_role_with_web_identity, _role_resource, writes=True,
              changes_access=False, anonymous=True, prepare=_prepare_keys),
)
