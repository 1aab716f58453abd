"""STS AssumeRoleWithSAML: a SAML response of an IAM SAML provider traded for a role session.

No AWS signature: the SAML response is the credential (API reference, AssumeRoleWithSAML). Its checks
are ``federation/saml.py``'s; then, as the IAM User Guide describes ("Configure SAML assertions for the
authentication response", "Troubleshoot SAML 2.0 federation with AWS", "Pass session tags using
AssumeRoleWithSAML"):

- the Role attribute must pair the requested RoleArn with the PrincipalArn (either order), else
  AccessDenied "Not authorized to perform sts:AssumeRoleWithSAML";
- RoleSessionName is required and must match [a-zA-Z_0-9+=,.@-]{2,64} (InvalidIdentityToken);
- the role's trust policy alone decides (a federated caller has no policies), with the saml:* keys,
  for sts:AssumeRoleWithSAML, sts:TagSession when PrincipalTag attributes are sent, and
  sts:SetSourceIdentity when a SourceIdentity attribute is;
- the session lasts DurationSeconds (default one hour, at most the role's MaxSessionDuration), cut
  short by a smaller SessionDuration attribute or by the AuthnStatement's SessionNotOnOrAfter;
- the assertion is spent: the same one is refused until it expires (``service/sts/saml_replay.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from iamd.errors import AccessDenied, ExpiredTokenException, InvalidIdentityToken, ValidationError
from iamd.federation import saml, saml_keys
from iamd.service import policy_documents
from iamd.service.context import Call
from iamd.service.declare import Operation
from iamd.service.identities import roles
from iamd.service.sts import role_sessions, saml_replay, trust
from iamd.service.sts.assume_role import _session_tags
from iamd.store.schema import saml_providers

ACTION = "sts:AssumeRoleWithSAML"
DEFAULT_SECONDS = 3_600
_ROLE_ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$")
_SESSION_NAME = re.compile(r"^[a-zA-Z_0-9+=,.@-]{2,64}$")
NOT_AUTHORIZED = f"Not authorized to perform {ACTION}"


@dataclass(frozen=True)
class Provider:
    arn: str
    account_id: str
    name: str


@dataclass(frozen=True)
class Verified:
    """A checked SAML response and the provider that vouches for it (not yet spent)."""

    assertion: saml.Assertion
    provider: Provider

    def role_choices(self) -> list[str]:
        """The roles the Role attribute offers with this provider, for the console's role choice."""
        return sorted(role for role, provider in self.assertion.role_pairs() if provider == self.provider.arn)


def find_provider(tx: Connection, arn: str):
    return tx.execute(select(saml_providers.c.arn, saml_providers.c.account_id, saml_providers.c.name,
                             saml_providers.c.metadata_document)
                      .where(saml_providers.c.arn == arn)).first()


def verify(tx: Connection, provider_arn: str, saml_response: str, now: datetime,
           endpoints: tuple[str, ...] = ()) -> Verified:
    """Check the response against the provider's metadata (Troubleshoot SAML: "Specified provider
    doesn't exist.", "Response signature invalid", "Issuer not present in specified provider")."""
    row = find_provider(tx, provider_arn)
    if row is None:
        raise InvalidIdentityToken("Specified provider doesn't exist.")
    metadata = saml.parse_metadata(row.metadata_document)
    assertion = saml.verify_response(saml_response, metadata, now, endpoints)
    return Verified(assertion, Provider(row.arn, row.account_id, row.name))


def assume_role_with_saml(tx: Connection, call: Call, params: dict) -> dict:
    role_arn, provider_arn = params["RoleArn"], params["PrincipalArn"]
    for arn in (role_arn, provider_arn):
        if not _ROLE_ARN.match(arn):
            raise ValidationError(f"{arn} is invalid")
    session_policy_text, policy_arns = policy_documents.session_policies(params)
    verified = verify(tx, provider_arn, params["SAMLAssertion"], call.now, own_endpoints(call))
    return start_session(tx, call, verified, role_arn, params.get("DurationSeconds"), session_policy_text,
                         policy_arns)


def own_endpoints(call: Call) -> tuple[str, ...]:
    """This server's SAML endpoints (/saml, as AWS's, and /console/saml), accepted as Recipient and
    Audience beside AWS's own."""
    base = (call.base_url or "").rstrip("/")
    return (f"{base}/saml", f"{base}/console/saml") if base else ()


def verify_for_console(tx: Connection, saml_response: str, now: datetime, endpoints: tuple[str, ...]) -> Verified:
    """A console sign-in names no provider: try those its Role attribute names, each with its own keys."""
    refusal: Exception = InvalidIdentityToken(saml.SIGNATURE_INVALID)
    for provider_arn in saml.claimed_providers(saml_response):
        try:
            return verify(tx, provider_arn, saml_response, now, endpoints)
        except InvalidIdentityToken as error:
            refusal = error
    raise refusal


def start_session(tx: Connection, call: Call, verified: Verified, role_arn: str, duration: int | None,
                  session_policy_text: str | None = None, policy_arns: list | None = None) -> dict:
    """Spend the assertion and open the session of ``role_arn``: the API's result."""
    assertion, provider = verified.assertion, verified.provider
    policy_arns = policy_arns or []
    if (role_arn, provider.arn) not in assertion.role_pairs() or not assertion.name_id:
        raise AccessDenied(NOT_AUTHORIZED)
    session_name = assertion.single(saml.ROLE_SESSION_NAME)
    if session_name is None:
        raise InvalidIdentityToken("RoleSessionName is required in AuthnResponse")
    if not _SESSION_NAME.match(session_name):
        raise InvalidIdentityToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    source_identity = assertion.single(saml.SOURCE_IDENTITY)
    if source_identity is not None and (not _SESSION_NAME.match(source_identity)
                                        or source_identity.lower().startswith("aws:")):
        raise InvalidIdentityToken('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"')
    new_tags = _session_tags(call, _tag_params(assertion))
    requested = duration if duration is not None else DEFAULT_SECONDS

    role = roles.find_role_by_arn(tx, role_arn)
    if role is None:
        raise AccessDenied(NOT_AUTHORIZED)
    context = _trust_context(call, assertion, provider, new_tags, source_identity)
    principal = trust.Principal(provider.arn, provider.account_id)
    actions = [ACTION]
    if new_tags["request"]:
        actions.append("sts:TagSession")
    if source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        if not trust.decide(role.assume_role_policy, role_arn, action, principal, context).allowed:
            raise AccessDenied(NOT_AUTHORIZED)
    if requested > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    # A SessionDuration attribute may only shorten an API session (it lengthens console sessions).
    limit = session_duration(assertion)
    seconds = min(requested, limit) if limit is not None else requested
    if assertion.session_not_on_or_after is not None:
        left = int((assertion.session_not_on_or_after - call.now).total_seconds())
        if left <= 0:  # the IdP's session for the user is over already
            raise ExpiredTokenException("Response has expired")
        seconds = min(seconds, left)
    saml_replay.spend(tx, assertion.issuer, assertion.id, assertion.not_on_or_after + saml.CLOCK_SKEW, call.now)
    result = role_sessions.start(tx, call, role, role_sessions.SessionRequest(
        session_name=session_name, seconds=seconds, tags=new_tags["all"], transitive=new_tags["transitive"],
        session_policy=session_policy_text, policy_arns=policy_arns, source_identity=source_identity,
        extra_claims={"ctx": saml_keys.session_keys(assertion, provider.account_id, provider.name)}))
    result.update({
        "Subject": assertion.name_id,
        "SubjectType": assertion.subject_type,
        "Issuer": assertion.issuer,
        "Audience": assertion.recipient,
        "NameQualifier": saml_keys.name_qualifier(assertion.issuer, provider.account_id, provider.name),
    })
    return result


def _tag_params(assertion: saml.Assertion) -> dict:
    """PrincipalTag:* and TransitiveTagKeys attributes, shaped as AssumeRole's Tags parameters."""
    tags = [{"Key": name[len(saml.PRINCIPAL_TAG):], "Value": values[0] if values else ""}
            for name, values in assertion.attributes.items() if name.startswith(saml.PRINCIPAL_TAG)]
    for tag in tags:
        if not 1 <= len(tag["Key"]) <= 128 or len(tag["Value"]) > 256:
            raise InvalidIdentityToken("Invalid session tag in the SAML response")
    if len(tags) > 50:
        raise InvalidIdentityToken("Too many session tags in the SAML response")
    return {"Tags": tags, "TransitiveTagKeys": list(assertion.attributes.get(saml.TRANSITIVE_TAG_KEYS, ()))}


def session_duration(assertion: saml.Assertion) -> int | None:
    """The SessionDuration attribute: 900 to 43200 seconds (None when absent)."""
    text = assertion.single(saml.SESSION_DURATION)
    if text is None:
        return None
    if not text.isdigit() or not 900 <= int(text) <= 43_200:
        raise InvalidIdentityToken("SessionDuration in AuthnResponse must be an integer from 900 to 43200")
    return int(text)


def _trust_context(call: Call, assertion: saml.Assertion, provider: Provider, new_tags: dict,
                   source_identity: str | None) -> dict:
    context = {
        **saml_keys.trust_context(assertion, provider.account_id, provider.name),
        "aws:FederatedProvider": provider.arn,
        "aws:CurrentTime": call.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(call.now.timestamp())),
        "aws:SecureTransport": "true" if call.secure_transport else "false",
        "aws:RequestedRegion": call.region,
    }
    if call.source_ip:
        context["aws:SourceIp"] = call.source_ip
    if call.user_agent:
        context["aws:UserAgent"] = call.user_agent
    for key, value in new_tags["request"].items():
        context[f"aws:RequestTag/{key}"] = value
    if new_tags["request"]:
        context["aws:TagKeys"] = list(new_tags["request"])
    if new_tags["transitive_request"]:
        context["sts:TransitiveTagKeys"] = new_tags["transitive_request"]
    if source_identity is not None:
        context["sts:SourceIdentity"] = source_identity
    return context


def _role_arn(call: Call, params: dict) -> str:
    return params["RoleArn"]


# Anonymous (the model's auth type "none"): web/api.py runs it without a caller or its policies.
OPERATIONS = (
    Operation("sts", "AssumeRoleWithSAML", assume_role_with_saml, _role_arn, writes=True, changes_access=False),
)
