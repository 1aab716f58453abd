"""iamd's own token signing keys (outbound web identity federation). PURE: no storage, no clock.

GetWebIdentityToken offers RS256 (RSA 2048) and ES384 (ECDSA P-384), as AWS does (STS API reference,
GetWebIdentityToken, SigningAlgorithm). Keys are made by ``cryptography`` and used through PyJWT.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# PyJWT (which imports cryptography's x509) is imported where a key is published or a token signed:
# every server start imports this module (GetWebIdentityToken is one of its operations), few use it.

ALGORITHMS = ("RS256", "ES384")


def new_private_key(algorithm: str) -> str:
    """A new private key, PEM (PKCS#8)."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ES384":
        key = ec.generate_private_key(ec.SECP384R1())
    else:
        raise ValueError(algorithm)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_jwk(private_pem: str, algorithm: str, kid: str) -> dict:
    """The public half as a JWK, as published in the JWKS."""
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    public = serialization.load_pem_private_key(private_pem.encode(), password=None).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        text = RSAAlgorithm.to_jwk(public)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        text = ECAlgorithm.to_jwk(public)
    else:  # new_private_key makes only these two
        raise ValueError(f"no JWK for a {type(public).__name__}")
    jwk = json.loads(text)
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}


def sign(claims: dict, private_pem: str, algorithm: str, kid: str) -> str:
    import jwt

    return jwt.encode(claims, private_pem, algorithm=algorithm, headers={"kid": kid, "typ": "JWT"})
