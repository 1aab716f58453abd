"""A web identity token (a JWT): read it, check its signature, check its times. PURE: the keys and the
clock come in as arguments.

AWS accepts RSA (RS256/384/512) and ECDSA (ES256/384/512) signatures (AssumeRoleWithWebIdentity API
reference, WebIdentityToken). Messages are AWS's where recorded (docs/federation.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.errors import ExpiredTokenException, InvalidIdentityToken

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
# Clock skew tolerated for nbf and iat between the issuer and iamd; exp is strict, as AWS's message says.
SKEW_SECONDS = 300
NOT_VALID = ("The web identity token that was passed could not be validated by AWS. Get a new identity token "
             "from the identity provider and then retry the request.")
NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
          "AssumeRoleWithWebIdentity documentation for requirements")


@dataclass(frozen=True)
class Unverified:
    header: dict
    claims: dict

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def read(token: str) -> Unverified:
    """Header and claims before any check; a token that is not a signed JWT is InvalidIdentityToken."""
    import jwt  # PyJWT (and cryptography's x509) where a token is read, not at every server start

    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidIdentityToken(NOT_VALID) from None
    if header.get("alg") not in ALGORITHMS or not isinstance(claims.get("iss"), str):
        raise InvalidIdentityToken(NOT_VALID)
    return Unverified(header, claims)


def matching_keys(token: Unverified, jwks: list[dict]) -> list[dict]:
    """The keys of a JWKS that may have signed the token: by kid when it names one, else by key type."""
    kty = "RSA" if token.header["alg"].startswith("RS") else "EC"
    candidates = [key for key in jwks if isinstance(key, dict) and key.get("kty") == kty
                  and key.get("use", "sig") == "sig"]
    if token.kid is not None:
        return [key for key in candidates if key.get("kid") == token.kid]
    return candidates


def verify_signature(raw: str, token: Unverified, keys: list[dict]) -> dict:
    """The claims, once one of ``keys`` verifies the signature; else InvalidIdentityToken."""
    import jwt

    if not keys:
        raise InvalidIdentityToken(NO_KEY)
    for key in keys:
        try:
            public = jwt.PyJWK(key, algorithm=token.header["alg"]).key
            # Only the signature here: times and audience are checked by check_times and the caller,
            # with AWS's messages.
            return jwt.decode(raw, public, algorithms=[token.header["alg"]],
                              options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                       "verify_aud": False, "verify_iss": False})
        except jwt.PyJWTError:
            continue
    raise InvalidIdentityToken(NOT_VALID)


def _number(claims: dict, name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    # AWS: timestamps must be integers (API reference, WebIdentityToken).
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidIdentityToken(NOT_VALID)
    return value


def check_times(claims: dict, now: int) -> None:
    """exp (required, strict), nbf and iat (not in the future, beyond the tolerated skew)."""
    expires = _number(claims, "exp")
    if expires is None:
        raise InvalidIdentityToken(NOT_VALID)
    if now >= expires:
        # AWS's message, the missing space included.
        raise ExpiredTokenException(f"Token expired: current date/time {now} must be before the expiration "
                                   f"date/time{expires}")
    for name in ("nbf", "iat"):
        moment = _number(claims, name)
        if moment is not None and moment > now + SKEW_SECONDS:
            raise InvalidIdentityToken(NOT_VALID)


def audiences(claims: dict) -> list[str]:
    value = claims.get("aud")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
