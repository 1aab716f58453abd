"""service/authenticate.py owner_of_key: a key row's principal and secret, opened once per row, never
standing for another key, secret or user (a user deleted and re-created under its name, renamed, moved)."""

from __future__ import annotations

import os
from collections import namedtuple

from iamd.security.principal_kind import PrincipalKind
from iamd.security.secrets import SecretBox
from iamd.service import authenticate
from iamd.service.authenticate import owner_of_key

Row = namedtuple("Row", "id account_id secret status user_id name path auth_epoch")
ACCOUNT = "123456789012"


def _row(box: SecretBox, key_id: str, secret: str, user_id: str | None, name: str | None = None,
         path: str | None = None, epoch: int = 1) -> Row:
    return Row(key_id, ACCOUNT, box.seal(secret, key_id), "Active", user_id, name, path, epoch)


def test_the_same_row_is_opened_once_and_its_epoch_read_each_time(monkeypatch):
    box = SecretBox(os.urandom(32))
    opened = []
    real_open = box.open
    monkeypatch.setattr(box, "open", lambda sealed, bound_to: opened.append(bound_to) or real_open(sealed, bound_to))
    row = _row(box, "AKIAKEYOWNERTEST0001", "s" * 40, "AIDAUSER1", "alice", "/")
    first, second = owner_of_key(box, row), owner_of_key(box, row._replace(auth_epoch=7))
    assert opened == ["AKIAKEYOWNERTEST0001"]
    assert second.principal is first.principal and second.secret_access_key == "s" * 40
    assert (first.auth_epoch, second.auth_epoch) == (1, 7)


def test_a_user_re_created_renamed_or_moved_is_another_principal():
    box = SecretBox(os.urandom(32))
    key_id = "AKIAKEYOWNERTEST0002"
    sealed = box.seal("t" * 40, key_id)
    row = Row(key_id, ACCOUNT, sealed, "Active", "AIDAOLD", "bob", "/", 1)
    assert owner_of_key(box, row).principal.id == "AIDAOLD"
    # Deleted and re-created under the same name (a new user id), renamed, moved: never the old principal.
    assert owner_of_key(box, row._replace(user_id="AIDANEW")).principal.id == "AIDANEW"
    assert owner_of_key(box, row._replace(name="robert")).principal.arn == f"arn:aws:iam::{ACCOUNT}:user/robert"
    assert owner_of_key(box, row._replace(path="/ops/")).principal.arn == f"arn:aws:iam::{ACCOUNT}:user/ops/bob"
    # A secret sealed anew for the same key id (another nonce) is opened anew.
    resealed = row._replace(secret=box.seal("u" * 40, key_id))
    assert owner_of_key(box, resealed).secret_access_key == "u" * 40
    assert owner_of_key(box, row).secret_access_key == "t" * 40


def test_the_root_user_s_key_and_another_box():
    box, other = SecretBox(os.urandom(32)), SecretBox(os.urandom(32))
    row = _row(box, "AKIAKEYOWNERTEST0003", "r" * 40, None)
    principal = owner_of_key(box, row).principal
    assert principal.kind is PrincipalKind.ROOT and principal.arn == f"arn:aws:iam::{ACCOUNT}:root"
    other_row = row._replace(secret=other.seal("o" * 40, row.id))
    assert owner_of_key(other, other_row).secret_access_key == "o" * 40


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(authenticate, "_MAX_OPENED", 3)
    monkeypatch.setattr(authenticate, "_OPENED", {})
    box = SecretBox(os.urandom(32))
    for index in range(10):
        owner_of_key(box, _row(box, f"AKIAKEYOWNERBOUND{index:03d}", "b" * 40, None))
        assert len(authenticate._OPENED) <= 3
