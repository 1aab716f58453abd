"""The gateway's entry: which requests web/app.py sends to it, and its construction from the settings.

With an upstream configured, a request goes to the gateway when it is signed for a service other than
iamd's own (the SigV4 credential scope, in the Authorization header or X-Amz-Credential), when its
X-Amz-Target is not CloudTrail's, or when it is unsigned and its path is none of iamd's own. So S3
buckets named like iamd's paths (``health``, ``console``, ...) are reachable only with signed requests.

The gateway itself (``iamd.gateway``: its decisions, services' routes, upstream client) is imported only
when an upstream is configured: a server without one never uses it, and it costs a tenth of a start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from iamd.config import Settings
from iamd.protocol.sigv4 import scope_service
from iamd.service.account.accounts import account_ids
from iamd.service.context import Environment
from iamd.web.authorization_api import TARGET_PREFIX as AUTHORIZATION_TARGET
from iamd.web.json_api import TARGET_PREFIX

if TYPE_CHECKING:
    from iamd.gateway.edge import Gateway

# The services iamd answers itself (SigV4 credential scopes).
OWN_SIGNING_NAMES = frozenset({"iam", "sts", "cloudtrail", "access-analyzer", "iamd"})
# iamd's own JSON targets: CloudTrail's (LookupEvents) and the authorization API's.
_OWN_TARGETS = (TARGET_PREFIX.encode(), AUTHORIZATION_TARGET.encode())
_OWN_PATHS = frozenset({"/", "/health", "/ready", "/metrics", "/saml"})
_OWN_PREFIXES = ("/console", "/policy/generation", "/oidc/")


def for_gateway(scope) -> bool:
    """Whether an HTTP request is for another service (the gateway's) rather than iamd's own."""
    authorization = None
    for name, value in scope["headers"]:
        if name == b"x-amz-target":
            return not value.startswith(_OWN_TARGETS)
        if name == b"authorization":
            authorization = value.decode("latin-1")
    query = scope.get("query_string", b"")
    if authorization is not None or b"X-Amz-Credential" in query:
        service = scope_service(authorization, unquote(query.decode("latin-1")) if authorization is None else "")
        if service is not None:
            return service not in OWN_SIGNING_NAMES
    path = scope["path"]
    return not (path in _OWN_PATHS or path.startswith(_OWN_PREFIXES))


def create_gateway(store, env: Environment, settings: Settings, read_timeout: float) -> Gateway | None:
    if not settings.upstream_url:
        return None
    from iamd.gateway.classify import configure_virtual_host_suffixes  # deferred: see the module's docstring
    from iamd.gateway.edge import Gateway
    from iamd.gateway.resource_policies import ResourcePolicies
    from iamd.gateway.upstream import Upstream

    host = urlsplit(settings.effective_public_url).hostname or ""
    if host and not host.replace(".", "").isdigit() and host != "localhost":
        # Virtual-hosted S3 under iamd's public name too: bucket.iamd.example.com
        configure_virtual_host_suffixes((".localhost", ".localhost.localstack.cloud", "." + host))
    upstream = Upstream.from_settings(settings.upstream_url, settings.upstream_credentials,
                                      settings.upstream_account_header)

    def accounts() -> list[str]:  # the accounts that may own a bucket the caller's does not
        with store.transaction(write=False) as tx:
            return account_ids(tx)

    resource_policies = ResourcePolicies(upstream, accounts=accounts)
    return Gateway(store, env, upstream, threaded=not store.is_sqlite,
                   forward_unclassified=settings.upstream_unclassified == "forward", read_timeout=read_timeout,
                   resource_policies=resource_policies)
