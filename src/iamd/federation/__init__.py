"""Web identity federation: tokens in (AssumeRoleWithWebIdentity) and out (GetWebIdentityToken).

    tokens.py     PURE: a JWT's unverified parts, its signature against a key set, its time claims
    claims.py     PURE: claims → the trust policy's condition keys, session tags, source identity
    keys.py       where an issuer's verification keys come from: a static JWKS file, or its
                  discovery document and JWKS over HTTPS, cached (the only module here doing I/O)
    fetch.py      one HTTPS GET of a JSON document, with the CA bundle and thumbprint pinning
    signing.py    PURE: iamd's own signing keys (make, publish as JWK, sign)

Imports: errors, PyJWT and cryptography; never service, store or web.
"""
