"""docs/authorization-api.md's example, for real: an "orders" HTTP service (Starlette under uvicorn, in a
thread) that hands each request it receives to iamd with iamd.client, and clients calling it over HTTP with
requests signed by botocore's signer, as they would sign for AWS."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Route

from iamd.client import AuthorizationClient, request_material
from tests.api.conftest import ACCOUNT_ID, client
from tests.api.server import free_port

ORDER = f"arn:aws:orders:us-east-1:{ACCOUNT_ID}:order/{{}}"


def orders_service(iamd: AuthorizationClient) -> Starlette:
    async def get_order(request):
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
        material = request_material(request.method, request.scope["raw_path"].decode(),
                                    request.scope["query_string"].decode(), headers, await request.body())
        order_id = request.path_params["order_id"]
        answer = await run_in_threadpool(iamd.verify_and_authorize, material, ["orders:GetOrder"],
                                         [ORDER.format(order_id)], {"aws:SourceIp": request.client.host},
                                         service="orders")
        if not answer["Authenticated"]:
            return JSONResponse({"error": answer["Error"]["Code"]}, status_code=403)
        if not answer["Results"][0]["Allowed"]:
            return JSONResponse({"error": answer["Results"][0]["Message"]}, status_code=403)
        return JSONResponse({"order": order_id, "for": answer["Principal"]["Arn"]})

    return Starlette(routes=[Route("/orders/{order_id}", get_order, methods=["GET", "POST"])])


@pytest.fixture
def orders(server, unique):
    iam = client(server, "iam")
    name = unique("orders-svc")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="authz", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iamd:VerifySignature", "iamd:Authorize"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iamd = AuthorizationClient(server.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(orders_service(iamd), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(5)
    iamd.close()


def call(url: str, key_id: str, secret: str, method: str = "GET", body: bytes = b"") -> httpx.Response:
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(key_id, secret), "orders", "us-east-1").add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers.items()))


def test_a_service_obeys_iamds_policies(server, orders, new_user):
    name, key_id, secret = new_user()
    iam = client(server, "iam")
    iam.put_user_policy(UserName=name, PolicyName="one", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "orders:GetOrder", "Resource": ORDER.format("o-1")}]}))
    allowed = call(f"{orders}/orders/o-1?view=full&x=a%20b", key_id, secret)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"order": "o-1", "for": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"}
    with_body = call(f"{orders}/orders/o-1", key_id, secret, "POST", b'{"note": "a body is hashed too"}')
    assert with_body.status_code == 200, with_body.text
    refused = call(f"{orders}/orders/o-2", key_id, secret)
    assert refused.status_code == 403
    assert "because no identity-based policy allows the orders:GetOrder action" in refused.json()["error"]
    forged = call(f"{orders}/orders/o-1", key_id, "not-the-secret-" + "x" * 25)
    assert forged.status_code == 403 and forged.json() == {"error": "SignatureDoesNotMatch"}
