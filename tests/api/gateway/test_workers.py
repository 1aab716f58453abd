"""Several iamd processes in front of moto, sharing one database: a change forwarded by one (a bucket
policy, an object's tags) decides the next request in every other, although each process caches what it
read of the upstream (gateway/cache_epoch.py). The changes go through one server (two worker processes)
and the reads through another server on the same database, so that they are surely other processes'
(which worker of a server accepts a connection is the kernel's choice).

Sources: Amazon S3 User Guide, "Bucket policies for Amazon S3" and "Tagging and access control
policies"; IAM User Guide, "Policy evaluation logic" (an explicit Deny in a resource-based policy).
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.api.conftest import BACKENDS, PG_URL, client, error_of
from tests.api.gateway.conftest import gateway_server, gw_client
from tests.api.server import PostgresDatabase


@pytest.fixture(params=BACKENDS)
def two_servers(request, moto, tmp_path):
    """(a server of two workers, another server of one worker on the same database and data directory)."""
    database = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("IAMD_TEST_DATABASE_URL is not set (.ci/run sets it): PostgreSQL tests skipped")
        database = PostgresDatabase(PG_URL)
    url = database.url if database else ""
    started = []
    try:
        # Two servers, one of two workers, start on a busy machine: more time than one server's default.
        started.append(gateway_server(tmp_path, moto.url, url, IAMD_WORKERS="2").start(timeout=120))
        started.append(gateway_server(tmp_path, moto.url, url).start(timeout=120))
        yield started[0], started[1]
    finally:
        for server in reversed(started):
            server.stop()
        if database:
            database.drop()


def _fresh(server, user: dict, service: str):
    """A client of its own: a new connection, which may land on either worker."""
    return gw_client(server, service, user["key_id"], user["secret"])


def test_a_change_forwarded_by_one_process_holds_at_once_in_every_other(two_servers, unique):
    server, reader_side = two_servers
    iam = client(server, "iam")
    iam.create_user(UserName="reader")
    arn = iam.get_user(UserName="reader")["User"]["Arn"]
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/state": "hidden"}}}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    user = {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    bucket = unique("workers")
    root = gw_client(server, "s3")
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="o.txt", Body=b"o", Tagging="state=shown")
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": arn}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})

    def allowed(times: int = 2) -> None:
        for _ in range(times):
            for side in (reader_side, server):
                assert _fresh(side, user, "s3").get_object(Bucket=bucket, Key="o.txt")["Body"].read() == b"o"

    def refused(times: int = 2) -> None:
        for _ in range(times):
            for side in (reader_side, server):
                with pytest.raises(botocore.exceptions.ClientError) as error:
                    _fresh(side, user, "s3").get_object(Bucket=bucket, Key="o.txt")
                assert error_of(error)[0] == "AccessDenied", error_of(error)

    for _ in range(3):
        allowed()  # every worker has read (and cached) "no bucket policy" and the object's tags
        root.put_bucket_policy(Bucket=bucket, Policy=deny)
        refused()
        root.delete_bucket_policy(Bucket=bucket)
        allowed()
        root.put_object_tagging(Bucket=bucket, Key="o.txt", Tagging={"TagSet": [{"Key": "state", "Value": "hidden"}]})
        refused()
        root.put_object_tagging(Bucket=bucket, Key="o.txt", Tagging={"TagSet": [{"Key": "state", "Value": "shown"}]})
    allowed()
    assert "2 worker processes" in server.log_text()
