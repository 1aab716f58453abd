"""A real OpenID Connect issuer for tests: HTTPS on 127.0.0.1 with a certificate from a test CA made
here, serving its discovery document and JWKS, signing tokens, rotating keys.

No part of iamd is used: the keys, certificates and tokens come from ``cryptography`` and PyJWT.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class TestCA:
    """A certificate authority of the test, written as PEM files under ``directory``."""

    __test__ = False

    def __init__(self, directory: Path, name: str = "iamd test CA"):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.path = directory / f"ca-{uuid.uuid4().hex[:6]}.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    @property
    def thumbprint(self) -> str:
        """The SHA-1 of the CA certificate, as CreateOpenIDConnectProvider takes it."""
        return hashlib.sha1(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    def server_files(self, host: str = "127.0.0.1") -> tuple[Path, Path]:
        """(certificate chain, key) PEM files for a TLS server at ``host``."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        stem = self.directory / f"server-{uuid.uuid4().hex[:6]}"
        chain, key_file = stem.with_suffix(".crt"), stem.with_suffix(".key")
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                          + self.cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return chain, key_file


class SigningKey:
    def __init__(self, algorithm: str = "RS256"):
        self.algorithm = algorithm
        self.kid = uuid.uuid4().hex[:16]
        if algorithm.startswith("RS"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = ec.generate_private_key({"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}[algorithm])
            public = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": self.kid, "alg": algorithm, "use": "sig"}


class Issuer:
    """An OIDC issuer at ``https://127.0.0.1:<port>/<name>``; tokens signed with its current key."""

    def __init__(self, ca: TestCA, name: str = "", max_age: int = 300):
        self.name = name or f"issuer-{uuid.uuid4().hex[:8]}"
        self.keys: list[SigningKey] = [SigningKey()]
        self.max_age = max_age
        self.jwks_requests = 0
        self.delay = 0.0  # seconds the JWKS takes to answer: a slow issuer
        issuer = self
        chain, key = ca.server_files()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == f"/{issuer.name}/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys",
                            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == f"/{issuer.name}/keys":
                    issuer.jwks_requests += 1
                    time.sleep(issuer.delay)
                    body = {"keys": [key.jwk for key in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", f"public, max-age={issuer.max_age}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/{self.name}"

    @property
    def host_path(self) -> str:
        """The URL without https://: the provider's name in ARNs and condition keys."""
        return self.url[len("https://"):]

    def rotate(self, algorithm: str = "RS256", keep_old: bool = True) -> SigningKey:
        key = SigningKey(algorithm)
        self.keys = [*self.keys, key] if keep_old else [key]
        return key

    def token(self, claims: dict | None = None, *, key: SigningKey | None = None, headers: dict | None = None,
              lifetime: int = 600, **overrides) -> str:
        key = key or self.keys[-1]
        now = int(time.time())
        payload = {"iss": self.url, "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com",
                   "iat": now, "nbf": now, "exp": now + lifetime, **(claims or {}), **overrides}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key.private, algorithm=key.algorithm,
                          headers={"kid": key.kid, **(headers or {})})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
