"""What every operation receives besides its parameters: who calls, when, from where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import SessionClaims

if TYPE_CHECKING:  # built above this module (service/runtime.py): named for the type checker only
    from iamd.audit.writer import AuditTrail
    from iamd.federation.keys import KeySource
    from iamd.service.authorize import Authorizer
    from iamd.service.last_used import LastUsedRecorder


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller; ``PrincipalKind.ANONYMOUS`` for an unsigned request (AssumeRoleWithSAML)."""

    kind: PrincipalKind
    account_id: str
    arn: str
    id: str  # the user's unique id; the account id for the root user
    name: str
    access_key_id: str
    user_id: str | None = None
    path: str = "/"

    @property
    def is_root(self) -> bool:
        return self.kind is PrincipalKind.ROOT

    @property
    def is_session(self) -> bool:
        """A role session or a federated user: temporary credentials are who it is (GetSessionToken's
        are not: they stand for their user or the root user)."""
        return self.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER)


@dataclass(frozen=True, slots=True)
class Environment:
    """The server's long-lived parts that handlers need."""

    secrets: SecretBox
    last_used: LastUsedRecorder
    authorizer: Authorizer
    sessions: SecretBox | None = None  # seals session tokens: security.session_tokens
    oidc_keys: KeySource | None = None  # web identity issuers' verification keys
    signing_keys: SecretBox | None = None  # seals iamd's own token signing keys (outbound federation)
    issuer_base: str = ""  # the public URL under which iamd serves its OIDC issuers (outbound federation)
    key_rotation_seconds: int = 7 * 86_400  # how long one signing key signs before the next one takes over
    audit: AuditTrail | None = None  # None records nothing


@dataclass(frozen=True, slots=True)
class Call:
    principal: Principal
    now: datetime
    request_id: str
    env: Environment
    source_ip: str = ""
    user_agent: str = ""
    region: str = "us-east-1"
    service: str = "iam"
    secure_transport: bool = False
    auth_epoch: int = 0  # the account's change counter when the request began
    # The request's transaction, for resource functions that look up a stored path (authorization
    # runs before the handler, which gets the same transaction as its own argument).
    tx: object = None
    # Context keys a temporary session carries (aws:MultiFactorAuthPresent, aws:TokenIssueTime ...).
    session_context: dict = field(default_factory=dict)
    session: SessionClaims | None = None  # the claims of the caller's temporary credentials, if it used some
    base_url: str = ""  # how the caller reached this server (https://host:port), for its SAML endpoint
    # What the call's audit record needs from inside (the authorization decision); None: not recorded.
    trail: dict | None = None

    @property
    def account_id(self) -> str:
        return self.principal.account_id


# The caller of an operation AWS serves unsigned (AssumeRoleWithSAML) and of a console SAML sign-in:
# nobody yet; the token it brings says who.
ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS, account_id="", arn="", id="", name="", access_key_id="")
