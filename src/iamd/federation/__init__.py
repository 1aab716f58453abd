"""Federation: validating the tokens of outside identity providers, pure where it can be; and iamd's
own web identity tokens.

Web identity (AssumeRoleWithWebIdentity in, GetWebIdentityToken out):
    tokens.py     PURE: a JWT's unverified parts, its signature against a key set, its time claims
    claims.py     PURE: claims → the trust policy's condition keys, session tags, source identity
    keys.py       where an issuer's verification keys come from: a static JWKS file, or its
                  discovery document and JWKS over HTTPS, cached (the only module here doing I/O)
    fetch.py      one HTTPS GET of a JSON document, with the CA bundle and thumbprint pinning
    signing.py    PURE: iamd's own signing keys (make, publish as JWK, sign)
SAML (AssumeRoleWithSAML, console sign-in):
    saml.py       PURE: a SAML 2.0 response against its provider's metadata (signxml verifies the XML
                  signature, defusedxml guards the parsing); callers pass the metadata and the time
    saml_keys.py  PURE: the saml:* condition keys and NameQualifier

Imports: errors, PyJWT, signxml, defusedxml and cryptography; never service, store or web.
"""
