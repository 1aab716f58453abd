"""STS: the caller's identity, session tokens, role sessions (AssumeRole, web identity, SAML) and their
trust policies, federation tokens, scoped credentials, and iamd as an OIDC issuer (outbound federation).
The claims every issued credential carries, and the MFA check, are ``claims.py``."""
