"""Federation: validating the tokens of outside identity providers, pure where it can be.

``saml.py`` checks a SAML 2.0 response against its provider's metadata (signxml verifies the XML
signature, defusedxml guards the parsing). Nothing here reads the store or the clock: callers pass
the provider's metadata and the time.
"""
