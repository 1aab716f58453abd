"""What every operation receives besides its parameters: who calls, when, from where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from iamd.federation.keys import KeySource
from iamd.policy import Decision
from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import SessionClaims
from iamd.service.policy_sets import CompiledManagedPolicies, PrincipalPolicies


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


# What handlers use of the long-lived parts built above this module (service/runtime.py builds them:
# authorize.Authorizer, credentials/last_used.LastUsedRecorder, audit/writer.AuditTrail), named here
# as protocols so that this module, which they all import, imports none of them.
class Authorizing(Protocol):
    compiled: CompiledManagedPolicies  # managed policies compiled once, shared by every loader

    def check(self, tx: Connection, call: Call, operation: Any, params: dict) -> Decision | None: ...

    def policies_of(self, tx: Connection, call: Call) -> PrincipalPolicies: ...


class RecordingUse(Protocol):
    def record(self, access_key_id: str, principal: Principal, session: SessionClaims | None, when: datetime,
               service: str, region: str) -> None: ...

    def flush(self, tx: Connection) -> None: ...


class Auditing(Protocol):
    enabled: bool
    retention_days: int  # events older are pruned (0: kept)
    prune_seconds: int  # between two prunes
    flush_seconds: float  # between two flushes of the deferred events

    def attach(self, store: Any) -> None: ...

    def write(self, tx: Connection, event: Any) -> None: ...

    def defer(self, tx: Connection, event: Any) -> None: ...

    def write_apart(self, store: Any, event: Any, changed: bool = True) -> None: ...

    def flush(self, by: str = "background") -> None: ...


@dataclass(frozen=True, slots=True)
class Environment:
    """The server's long-lived parts that handlers need."""

    secrets: SecretBox
    last_used: RecordingUse
    authorizer: Authorizing
    sessions: SecretBox | None = None  # seals session tokens: security.session_tokens
    oidc_keys: KeySource | None = None  # web identity issuers' verification keys
    signing_keys: SecretBox | None = None  # seals iamd's own token signing keys (outbound federation)
    issuer_base: str = ""  # the public URL under which iamd serves its OIDC issuers (outbound federation)
    key_rotation_seconds: int = 7 * 86_400  # how long one signing key signs before the next one takes over
    audit: Auditing | None = None  # None records nothing


# Not frozen, though nothing assigns to a Call once made: a frozen dataclass's __init__ sets each of
# these fields through object.__setattr__, ~9 µs a request, several times a plain one's.
@dataclass(slots=True)
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
    tx: Connection | None = None
    # Context keys a temporary session carries (aws:MultiFactorAuthPresent, aws:TokenIssueTime ...).
    session_context: dict = field(default_factory=dict)
    session: SessionClaims | None = None  # the claims of the caller's temporary credentials, if it used some
    base_url: str = ""  # how the caller reached this server (https://host:port), for its SAML endpoint
    # What the call's audit record needs from inside (the authorization decision); None: not recorded.
    trail: dict | None = None
    # Entities authorization found, by (kind, key), for the handler's first look-up (service/targets.py).
    found: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.principal.account_id


# The caller of an operation AWS serves unsigned (AssumeRoleWithSAML) and of a console SAML sign-in:
# nobody yet; the token it brings says who.
ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS, account_id="", arn="", id="", name="", access_key_id="")
