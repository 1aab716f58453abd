"""Identity providers: OpenID Connect (service/oidc_providers.py) and SAML (service/saml_providers.py)."""

from __future__ import annotations

from iamd.service import oidc_providers, saml_providers

OPERATIONS = oidc_providers.OPERATIONS + saml_providers.OPERATIONS
