"""A small client of iamd's authorization API (docs/authorization-api.md), for services in Python.

    from iamd.client import AuthorizationClient, request_material

    iamd = AuthorizationClient("http://127.0.0.1:8777", key_id, secret)     # the service's own key
    material = request_material(method, path, query, headers, body)          # what the client sent you
    answer = iamd.verify_and_authorize(material, ["orders:GetOrder"], [order_arn], service="orders")
    if answer["Authenticated"] and all(r["Allowed"] for r in answer["Results"]): ...

Each call is signed with botocore's SigV4 signer (service name ``iamd``) and sent with httpx. A refusal of
the call itself (the key may not verify, bad input) raises :class:`AuthorizationApiError`; a client's
material that does not verify is an answer, ``{"Authenticated": False, "Error": {...}}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["AuthorizationApiError", "AuthorizationClient", "request_material"]

SIGNING_NAME = "iamd"
TARGET_PREFIX = "IamdAuthorization."


class AuthorizationApiError(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.message, self.status = code, message, status


def request_material(method: str, path: str, query: str, headers: Mapping[str, str] | Iterable[tuple[str, str]],
                     body: bytes | None = None, payload_hash: str | None = None) -> dict:
    """The signed request a client sent you, as Verify takes it: the raw path and query string as
    received, every header, and the SHA-256 of the body you received (or ``payload_hash``, e.g.
    "UNSIGNED-PAYLOAD" where you accept unsigned payloads)."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if payload_hash is None:
        payload_hash = hashlib.sha256(body or b"").hexdigest()
    return {"Method": method, "Path": path, "Query": query, "Headers": [[k, v] for k, v in pairs],
            "PayloadHash": payload_hash}


class AuthorizationClient:
    def __init__(self, endpoint: str, access_key_id: str, secret_access_key: str, session_token: str | None = None,
                 region: str = "us-east-1", timeout: float = 10.0, http: httpx.Client | None = None):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.region = region
        self._signer = SigV4Auth(Credentials(access_key_id, secret_access_key, session_token), SIGNING_NAME, region)
        self._http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AuthorizationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- decisions ------------------------------------------------------------------------------

    def verify(self, material: dict, service: str | None = None) -> dict:
        """The principal behind a client's signed request (``request_material``)."""
        return self.call("Verify", _with_service({"Request": material}, service))

    def verify_string_to_sign(self, access_key_id: str, string_to_sign: str, signature: str,
                              security_token: str | None = None, service: str | None = None) -> dict:
        """OpenStack s3tokens' way: the string to sign and the signature, never the request."""
        params: dict = {"AccessKeyId": access_key_id, "StringToSign": string_to_sign, "Signature": signature}
        if security_token is not None:
            params["SecurityToken"] = security_token
        return self.call("Verify", _with_service(params, service))

    def authorize(self, principal_arn: str, actions: list[str], resources: list[str] | None = None,
                  context: Mapping[str, str | list[str]] | None = None, resource_policy: str | None = None,
                  resource_owner: str | None = None) -> dict:
        """Decisions for a principal of the key's account (a user, a role or a role session) by ARN."""
        params = {"PrincipalArn": principal_arn, **_decision(actions, resources, context, resource_policy,
                                                              resource_owner)}
        return self.call("Authorize", params)

    def verify_and_authorize(self, material: dict | None, actions: list[str], resources: list[str] | None = None,
                             context: Mapping[str, str | list[str]] | None = None,
                             resource_policy: str | None = None, resource_owner: str | None = None,
                             service: str | None = None, string_to_sign: dict | None = None) -> dict:
        """Verify and decide in one call. ``string_to_sign``: {"AccessKeyId", "StringToSign", "Signature"}
        instead of ``material``."""
        params = {**(string_to_sign or {"Request": material}),
                  **_decision(actions, resources, context, resource_policy, resource_owner)}
        return self.call("VerifyAndAuthorize", _with_service(params, service))

    # ---- service definitions --------------------------------------------------------------------

    def register_service(self, definition: dict) -> dict:
        return self.call("RegisterService", {"Definition": definition})["Service"]

    def get_service(self, prefix: str) -> dict:
        return self.call("GetService", {"ServicePrefix": prefix})["Service"]

    def list_services(self) -> list[dict]:
        return self.call("ListServices", {})["Services"]

    def deregister_service(self, prefix: str) -> None:
        self.call("DeregisterService", {"ServicePrefix": prefix})

    # ---- the wire -------------------------------------------------------------------------------

    def call(self, operation: str, params: dict) -> dict:
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url=self.endpoint, data=body,
                             headers={"X-Amz-Target": TARGET_PREFIX + operation,
                                      "Content-Type": "application/x-amz-json-1.1"})
        self._signer.add_auth(request)
        response = self._http.post(self.endpoint, content=body, headers=dict(request.headers.items()))
        try:
            answer: Any = response.json()
        except ValueError:
            raise AuthorizationApiError("InvalidResponse", response.text[:200], response.status_code) from None
        if response.status_code != 200:
            raise AuthorizationApiError(answer.get("__type", "Unknown"), answer.get("message", ""),
                                        response.status_code)
        return answer


def _decision(actions, resources, context, resource_policy, resource_owner) -> dict:
    params: dict = {"Actions": list(actions)}
    if resources is not None:
        params["Resources"] = list(resources)
    if context:
        params["Context"] = dict(context)
    if resource_policy is not None:
        params["ResourcePolicy"] = resource_policy
    if resource_owner is not None:
        params["ResourceOwner"] = resource_owner
    return params


def _with_service(params: dict, service: str | None) -> dict:
    return {**params, "Service": service} if service else params
