"""KMS Decrypt without a KeyId through the gateway: AWS evaluates the key the ciphertext names (AWS KMS
API Reference, "Decrypt": "If the ciphertext was encrypted under a symmetric encryption KMS key, the
KeyId parameter is optional. AWS KMS can get this information from metadata that it adds to the
symmetric ciphertext blob"). moto's ciphertext names its key in its first bytes, so the gateway decides
on that key: its ARN in the policy's Resource, its tags in aws:ResourceTag."""

from __future__ import annotations

import botocore.exceptions
import pytest

from tests.api.conftest import error_of
from tests.api.gateway.conftest import ACCOUNT_ID, as_user, gw_client


def test_decrypt_without_key_id_is_decided_on_the_key_the_ciphertext_names(gateway, moto, principal):
    root = gw_client(gateway, "kms")
    mine = root.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
    other = root.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    mine_blob = root.encrypt(KeyId=mine, Plaintext=b"mine")["CiphertextBlob"]
    other_blob = root.encrypt(KeyId=other, Plaintext=b"other")["CiphertextBlob"]
    user = principal({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{mine}"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "green"}}}]})
    kms = as_user(gateway, user, "kms")

    assert kms.decrypt(CiphertextBlob=mine_blob)["Plaintext"] == b"mine"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        kms.decrypt(CiphertextBlob=other_blob)
    assert error_of(refused) == (
        "AccessDeniedException", f"User: {user['arn']} is not authorized to perform: kms:Decrypt on resource: "
        f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{other} because no identity-based policy allows the kms:Decrypt "
        "action", 400)
    # The key the ciphertext names is tagged green through iamd: the second statement now allows it.
    root.tag_resource(KeyId=other, Tags=[{"TagKey": "team", "TagValue": "green"}])
    assert kms.decrypt(CiphertextBlob=other_blob)["Plaintext"] == b"other"
