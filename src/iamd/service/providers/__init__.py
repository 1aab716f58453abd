"""Outside identity providers an account trusts: OpenID Connect and SAML, with their trusted identity
propagation settings."""
