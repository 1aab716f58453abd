"""The tables, as SQLAlchemy Core metadata. Alembic's migrations under ``migrations/`` build them.

Names are unique per account ignoring case, as in IAM: ``name_key`` holds the case-folded name and
carries the unique constraint, so that two concurrent creates of one name cannot both succeed.
Timestamps are stored as naive UTC and read back as aware UTC (``UtcDateTime``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            # SQLite hands back SQLAlchemy's text ("2024-01-02 03:04:05.000000"): one fromisoformat
            # costs a third of the generic chain (parse, then attach the zone), per row of a list page.
            return _sqlite_utc
        return super().result_processor(dialect, coltype)


# Texts already parsed, by text: a pure function (a datetime is immutable, so one serves every row that
# holds it), and a list page reads the same rows' timestamps on every request.
_PARSED: dict[str, datetime] = {}
_PARSED_MAX = 4096


def _sqlite_utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = _PARSED.get(value)
    if moment is None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        moment = _PARSED[value] = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return moment


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("alias", String(63), unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_policy", Text),  # JSON of the account password policy, NULL when none is set
    # Bumped by every change in the account: cached authorization data older than it is stale,
    # in this process and in every other one sharing the database.
    Column("auth_epoch", Integer, nullable=False, server_default="0"),
    Column("root_password_hash", String(256)),  # the root user's console password (argon2id), NULL: none
    # SetSecurityTokenServicePreferences: 1 or 2 (v1Token, v2Token); NULL: never set, version 1.
    Column("global_endpoint_token_version", Integer),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("password_last_used", UtcDateTime),
    UniqueConstraint("account_id", "name_key"),
)

tags = Table(
    "tags",
    metadata,
    Column("resource_id", String(128), primary_key=True),  # the entity's unique id (AIDA..., ANPA...)
    Column("key_match", String(128), primary_key=True),  # the key as compared: case-folded for users and roles
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id")),  # NULL: the account root user's key
    Column("secret", LargeBinary, nullable=False),  # sealed by security.secrets.SecretBox
    Column("status", String(8), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("last_used_service", String(64)),
    Column("last_used_region", String(64)),
    Index("ix_access_keys_user", "user_id"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name_key"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.id"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
    Index("ix_group_members_user", "user_id"),
)

managed_policies = Table(
    "managed_policies",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("description", String(1000)),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name_key"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.id"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# A managed policy attached to a user, group or role. AWS managed policies live in the reference
# catalogue, not in managed_policies, so the attachment names the policy by ARN.
policy_attachments = Table(
    "policy_attachments",
    metadata,
    Column("entity_id", String(32), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("entity_kind", String(8), nullable=False),  # user | group | role
    Column("attached_at", UtcDateTime, nullable=False),
    Index("ix_policy_attachments_policy", "account_id", "policy_arn"),
)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("entity_id", String(32), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("entity_kind", String(8), nullable=False),
    Column("document", Text, nullable=False),
)

login_profiles = Table(
    "login_profiles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("password_reset_required", Boolean, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("assume_role_policy", Text, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("last_used_at", UtcDateTime),
    Column("last_used_region", String(64)),
    Column("service_linked", String(128)),  # the AWS service principal of a service-linked role, else NULL
    # The trust policy's user and role principals pinned to their unique ids: service/identities/trust_principals.py
    Column("trust_principals", Text),
    UniqueConstraint("account_id", "name_key"),
)

instance_profiles = Table(
    "instance_profiles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name_key"),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column("profile_id", String(32), ForeignKey("instance_profiles.id"), primary_key=True),
    Column("role_id", String(32), ForeignKey("roles.id"), primary_key=True),
    Index("ix_instance_profile_roles_role", "role_id"),
)

# Service-linked role deletions: DeleteServiceLinkedRole answers a task id, polled by
# GetServiceLinkedRoleDeletionStatus.
deletion_tasks = Table(
    "deletion_tasks",
    metadata,
    Column("id", String(512), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
)

mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("serial_number", String(256), primary_key=True),  # arn:aws:iam::ACCOUNT:mfa/PATH/NAME
    Column("id", String(32), nullable=False, unique=True),  # for tags
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(226), nullable=False),
    Column("path", String(512), nullable=False),
    Column("seed", LargeBinary, nullable=False),  # sealed by security.secrets.SecretBox
    Column("created_at", UtcDateTime, nullable=False),
    Column("user_id", String(32), ForeignKey("users.id")),  # NULL until enabled
    Column("enabled_at", UtcDateTime),
    Column("last_time_step", Integer),  # the newest TOTP time step accepted: no code is accepted twice
    Index("ix_mfa_devices_user", "user_id"),
)

password_history = Table(
    "password_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Index("ix_password_history_user", "user_id"),
)

credential_reports = Table(
    "credential_reports",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id"), primary_key=True),
    Column("generated_at", UtcDateTime, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("id", String(128), primary_key=True),  # APKA...
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(8), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Index("ix_ssh_public_keys_user", "user_id"),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id")),  # NULL: the root user's
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Index("ix_signing_certificates_user", "user_id"),
)

service_specific_credentials = Table(
    "service_specific_credentials",
    metadata,
    Column("id", String(128), primary_key=True),  # ACCA...
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password", LargeBinary, nullable=False),  # sealed by security.secrets.SecretBox
    Column("status", String(8), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_service_specific_credentials_user", "user_id"),
)

server_certificates = Table(
    "server_certificates",
    metadata,
    Column("id", String(32), primary_key=True),  # ASCA...
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("private_key", LargeBinary, nullable=False),  # sealed by security.secrets.SecretBox
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    UniqueConstraint("account_id", "name_key"),
)

oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),  # for tags
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON list
    Column("thumbprints", Text, nullable=False),  # JSON list
    Column("created_at", UtcDateTime, nullable=False),
    Column("context_provider", Text, nullable=True),  # JSON: the ContextProvider shape, None when not set
    Column("identity_center_instance_arn", String(1224), nullable=True),
)

saml_providers = Table(
    "saml_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),  # for tags
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("uuid", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime),
    Column("context_provider", Text, nullable=True),  # JSON: the ContextProvider shape, None when not set
    Column("identity_center_instance_arn", String(1224), nullable=True),
)

# GenerateServiceLastAccessedDetails: a report computed when asked, kept for the Get operations.
last_accessed_jobs = Table(
    "last_accessed_jobs",
    metadata,
    Column("id", String(36), primary_key=True),  # the JobId, a UUID
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("arn", String(2048), nullable=False),  # the user, group, role or policy reported on
    Column("granularity", String(16), nullable=False),  # SERVICE_LEVEL | ACTION_LEVEL
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Column("result", Text, nullable=False),  # JSON: the services, each with its entities
)

# When each principal last used each service, whatever credentials it signed with (service/credentials/last_used.py):
# a user's access keys and session credentials, a role's sessions, the root user. Read by the service
# last accessed reports. principal_id: the user's id, the role's id, or the account id for root.
principal_last_used = Table(
    "principal_last_used",
    metadata,
    Column("principal_id", String(32), primary_key=True),
    Column("service", String(64), primary_key=True),  # the SigV4 service, as access_keys.last_used_service
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False),
    Column("principal_kind", String(8), nullable=False),  # user | role | root
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("region", String(64), nullable=False),
)

# Console sessions (service/console_sessions.py), shared by every server process on the database. The cookie
# carries a random token; only its SHA-256 is stored, so a copy of this table signs no one in. ``data``
# (the wizards' state, flashes, the passwords and secrets shown once) is sealed by the SecretBox, bound
# to the token hash. Rows of anonymous visitors (the sign-in form's CSRF token) have no account yet.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # hex SHA-256 of the cookie's token
    Column("account_id", String(12)),  # NULL until sign-in
    Column("user_id", String(32)),  # NULL: the root user (or not signed in)
    Column("user_name", String(64), nullable=False, server_default=""),
    Column("stage", String(16), nullable=False),  # anonymous | mfa | password | ready
    Column("csrf", String(64), nullable=False),
    Column("mfa_serial", String(256), nullable=False, server_default=""),  # the device asked of (stage mfa)
    Column("mfa_at", UtcDateTime),  # when the MFA code was accepted; NULL: signed in without MFA
    Column("reset_reason", String(16), nullable=False, server_default=""),  # why the password must change
    Column("data", LargeBinary),  # sealed JSON, NULL when empty
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),  # written at most once a minute
    # The earlier of created_at + 12 h and last_seen_at + 1 h: one indexed column for lookup and sweep.
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# Failed console sign-ins per account and user name (or "<root>", or "mfa:<user id>" for the MFA step).
console_signin_failures = Table(
    "console_signin_failures",
    metadata,
    Column("account_key", String(64), primary_key=True),  # the account id (what was typed: no such account)
    Column("user_key", String(128), primary_key=True),  # the user name lower-cased, "<root>", "mfa:<id>"
    Column("failures", Integer, nullable=False),
    Column("not_before", UtcDateTime),  # the next attempt must wait until then
    Column("locked_until", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False, index=True),  # for the sweep
)

# Outbound web identity federation (iamd as an OIDC issuer): per account, its issuer and whether
# GetWebIdentityToken is enabled; kept when disabled, so the issuer URL stays the same.
outbound_federation = Table(
    "outbound_federation",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id"), primary_key=True),
    Column("issuer_id", String(36), nullable=False, unique=True),  # the issuer URL's last segment
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The keys that sign GetWebIdentityToken's tokens. The private key is sealed under the master key
# (security.secrets, bound to the kid); the public JWK is published in the issuer's JWKS.
token_signing_keys = Table(
    "token_signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("algorithm", String(8), nullable=False),
    Column("private_key", LargeBinary, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# SAML assertions already redeemed (service/sts/saml_replay.py), kept until they would expire anyway, so
# that every server process sharing the database refuses a replay. ``key``: hex SHA-256 of the
# issuer and the assertion's ID (IDs are chosen by the IdP: long and untrusted).
saml_assertions_seen = Table(
    "saml_assertions_seen",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# The audit trail (audit/): one row per call, the CloudTrail record in ``record`` (compact JSON), and the
# columns LookupEvents filters on beside it. Times are epoch milliseconds: small, and ordered in the index.
# ``principal_key`` is who the call counts for in policy generation: the user's ARN, or the role's ARN
# for every session of the role. The first resource of an event is kept in the row (most IAM calls name
# one); the others go to event_resources. Every index costs every event's insert (~4-8k instructions on
# SQLite), so there are four, for the lookups that must answer a page at once whatever the trail's size:
# by account and time (the pages with no attribute, EventId: the id is time-ordered; the export and the
# prune, account by account), by user name, by resource, by principal_key (policy generation and the
# console's Access Advisor, which read all of a principal's events). EventName, AccessKeyId, EventSource
# and ReadOnly are found by reading a bounded stretch of the account's events a page (audit/lookup.py).
events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("event_ms", BigInteger, nullable=False),
    Column("event_source", String(64), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("username", String(256)),
    Column("access_key_id", String(128)),
    Column("read_only", Boolean, nullable=False),
    Column("principal_key", String(2048)),
    Column("error_code", String(128)),
    Column("resource_type", String(64)),
    Column("resource_name", String(2048)),
    Column("record", Text, nullable=False),
    Index("ix_events_account_time", "account_id", "event_ms"),
    Index("ix_events_account_username", "account_id", "username", "event_ms"),
    Index("ix_events_account_resource", "account_id", "resource_name", "event_ms"),
    Index("ix_events_account_principal", "account_id", "principal_key", "event_ms"),
)

event_resources = Table(
    "event_resources",
    metadata,
    Column("seq", Integer, primary_key=True),  # the event's seq
    Column("position", Integer, primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("event_ms", BigInteger, nullable=False),
    Column("resource_type", String(64), nullable=False),
    Column("resource_name", String(2048), nullable=False),
    Index("ix_event_resources_name", "account_id", "resource_name", "event_ms"),
    Index("ix_event_resources_type", "account_id", "resource_type", "event_ms"),
)

# Access Analyzer's policy generation jobs (audit/analyzer.py): generated at start, kept for reading.
policy_generations = Table(
    "policy_generations",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("principal_arn", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_on", UtcDateTime, nullable=False),
    Column("completed_on", UtcDateTime),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=False),
    Column("result", Text),  # JSON: the generated policy and its notes
    Column("client_token", String(64)),  # StartPolicyGeneration's idempotency token
    Index("ix_policy_generations_token", "account_id", "client_token"),
)

# The operator's own services' definitions (service/authorization_api/registry.py), one per service prefix
# for the whole server: a prefix names the same actions in every account's policies, as AWS's do. ``id``
# is new at every registration, so a cache keyed on it never serves a definition that was replaced.
service_definitions = Table(
    "service_definitions",
    metadata,
    Column("prefix", String(64), primary_key=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("owner_account_id", String(12), nullable=False),  # "" when the operator registered it (iamd service)
    Column("document", Text, nullable=False),  # the definition as registered, normalised JSON
    Column("registered_at", UtcDateTime, nullable=False),
)

# One row: a counter every iamd process sharing the database reads with each forwarded request and
# bumps when it forwards a change to what the gateway caches of the upstream (resource policies, tags,
# lookups), so that every process drops its copies at once (gateway/cache_epoch.py).
gateway_state = Table(
    "gateway_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cache_epoch", BigInteger, nullable=False, server_default="0"),
)
