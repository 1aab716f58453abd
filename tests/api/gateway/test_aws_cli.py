"""The aws CLI through the gateway: `aws s3 cp` of 50 MB (a multipart upload), `aws s3 sync`, downloads,
DynamoDB, and a refusal as the CLI shows it."""

from __future__ import annotations

import hashlib
import os

from tests.api.conftest import run_aws
from tests.api.gateway.conftest import allow, gw_client


def test_cp_of_50_mb_is_a_multipart_upload_that_reaches_moto(gateway, moto, unique, tmp_path):
    bucket = unique("cli")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    source = tmp_path / "big.bin"
    data = os.urandom(1024 * 1024) * 50  # 50 MiB: the CLI splits it into 8 MiB parts
    source.write_bytes(data)
    done = run_aws(gateway, "s3", "cp", str(source), f"s3://{bucket}/big.bin")
    assert done.returncode == 0, done.stderr
    head = moto.client("s3").head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-7")  # seven parts: multipart through the gateway
    back = tmp_path / "back.bin"
    done = run_aws(gateway, "s3", "cp", f"s3://{bucket}/big.bin", str(back))
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_sync_uploads_a_tree_and_lists_it(gateway, moto, unique, tmp_path):
    bucket = unique("sync")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    done = run_aws(gateway, "s3", "sync", str(tree), f"s3://{bucket}/site")
    assert done.returncode == 0, done.stderr
    keys = sorted(o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["site/a.txt", "site/sub/b.txt"]
    listed = run_aws(gateway, "s3", "ls", f"s3://{bucket}/site/", "--recursive")
    assert listed.returncode == 0 and "site/sub/b.txt" in listed.stdout


def test_the_cli_shows_a_refusal_in_aws_s_words(gateway, moto, principal, unique, tmp_path):
    bucket = unique("clir")
    gw_client(gateway, "s3").create_bucket(Bucket=bucket)
    user = principal(allow(("s3:ListBucket", f"arn:aws:s3:::{bucket}")))
    source = tmp_path / "f.txt"
    source.write_text("f")
    done = run_aws(gateway, "s3", "cp", str(source), f"s3://{bucket}/f.txt", key_id=user["key_id"],
                   secret=user["secret"])
    assert done.returncode != 0
    assert "AccessDenied" in done.stderr
    assert f"is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::{bucket}/f.txt\"" in done.stderr
    assert "Contents" not in moto.client("s3").list_objects_v2(Bucket=bucket)
    listed = run_aws(gateway, "s3", "ls", f"s3://{bucket}/", key_id=user["key_id"], secret=user["secret"])
    assert listed.returncode == 0, listed.stderr


def test_dynamodb_through_the_cli(gateway, moto, unique):
    table = unique("clit")
    done = run_aws(gateway, "dynamodb", "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
                   "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                   "--key-schema", "AttributeName=pk,KeyType=HASH")
    assert done.returncode == 0, done.stderr
    assert table in moto.client("dynamodb").list_tables()["TableNames"]
