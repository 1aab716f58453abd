"""In-process tests of the service layer: a temporary SQLite store, an Environment, and ``run()``.

The store is made as ``iamd serve`` makes it (``cli/bootstrap.py open_state``: master key, migrations,
the first account with known root keys), once per test process; each test gets a copy of that file,
so it starts from a fresh account and pays no migration. ``run(caller, operation, params)`` takes the
way of a Query API request from the credentials on (``web/api.py _run``): the caller's principal and
the account's change counter from its access key (or sealed session token), the params through
botocore's serializer and iamd's decoder, then ``service/dispatch.py execute()``: the real
authorization, its caches, and the handler. Only HTTP and the SigV4 signature are left out.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.serialize import create_serializer

from iamd.cli.bootstrap import open_state
from iamd.config import Settings
from iamd.protocol.decode import decode_params
from iamd.protocol.model import operation_model
from iamd.security import ids
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service.authenticate import principal_for_key, principal_for_session
from iamd.service.context import Call, Environment
from iamd.service.dispatch import execute
from iamd.service.operations import OPERATIONS
from iamd.service.runtime import new_environment
from iamd.store.database import Store

ACCOUNT_ID = "123456789012"
ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
_SERIALIZER = create_serializer("query", include_validation=True)


@dataclass(frozen=True)
class Caller:
    """Credentials, as a boto3 client holds them: a long-term key, or temporary ones with their token."""

    key_id: str
    secret: str
    token: str | None = None

    @classmethod
    def of(cls, credentials: dict) -> Caller:
        """From an access key (CreateAccessKey) or temporary credentials (AssumeRole, GetSessionToken)."""
        return cls(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials.get("SessionToken"))


ROOT = Caller(ROOT_KEY_ID, ROOT_SECRET)


def _service_of(name: str) -> str:
    for service in ("iam", "sts"):
        if (service, name) in OPERATIONS:
            return service
    raise KeyError(f"iamd serves no operation {name}")


@dataclass
class Iamd:
    """One server's state, in this process: its store and environment, and a clock tests may set."""

    store: Store
    env: Environment
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def later(self, seconds: float) -> None:
        """Move the clock on: what a test through the API could only wait for."""
        self.now += timedelta(seconds=seconds)

    def run(self, caller: Caller, name: str, params: dict | None = None) -> dict:
        """The result of operation ``name`` called by ``caller``; an AwsError as the API would answer it."""
        service = _service_of(name)
        model = operation_model(service, name)
        operation = OPERATIONS[(service, name)]
        # What boto3 sends, decoded as web/api.py decodes it: the handler gets the params it gets there.
        form = _SERIALIZER.serialize_to_request(params or {}, model)["body"]
        decoded = decode_params(model, {key: str(value) for key, value in form.items()})
        with self.store.transaction(write=operation.writes) as tx:
            if caller.token is not None:
                owner = principal_for_session(tx, self.env.sessions, caller.key_id, caller.token, self.now)
            else:
                owner = principal_for_key(tx, self.env.secrets, caller.key_id)
            assert owner.secret_access_key == caller.secret  # what the signature check would establish
            self.env.last_used.record(caller.key_id, owner.principal, owner.session, self.now, service, REGION)
            call = Call(principal=owner.principal, now=self.now, request_id=ids.request_id(), env=self.env,
                        region=REGION, service=service, auth_epoch=owner.auth_epoch, tx=tx, session=owner.session,
                        session_context=owner.session_context)
            return execute(tx, call, operation, decoded) or {}

    # Shortcuts for the set-up most tests share.
    def user(self, name: str | None = None, **create: object) -> tuple[str, Caller]:
        """A new user with an access key: (its name, its credentials)."""
        name = name or unique("user")
        self.run(ROOT, "CreateUser", {"UserName": name, **create})
        key = self.run(ROOT, "CreateAccessKey", {"UserName": name})["AccessKey"]
        return name, Caller.of(key)

    def policy(self, name: str, *statements: dict) -> str:
        """A new customer managed policy of these statements: its ARN."""
        created = self.run(ROOT, "CreatePolicy", {"PolicyName": name, "PolicyDocument": document(*statements)})
        return created["Policy"]["Arn"]


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **condition: dict) -> dict:
    """An Allow statement; ``condition`` as operator=dict(key=value), e.g. StringEquals={"aws:...": "x"}."""
    statement: dict[str, object] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory) -> Path:
    """A data directory made once per process as ``iamd serve`` makes it at its first start."""
    data = tmp_path_factory.mktemp("iamd-template")
    state = open_state(Settings(data_dir=str(data), account_id=ACCOUNT_ID, root_access_key_id=ROOT_KEY_ID,
                                root_secret_access_key=ROOT_SECRET, audit=False))
    state.store.dispose()
    return data


@pytest.fixture
def iamd(_template, tmp_path) -> Iterator[Iamd]:
    """A fresh server state: a copy of the template's store, a new environment (empty caches).

    Named as the pytest plugin's ``iamd`` (a real server, iamd.testing) on purpose: here, in process."""
    data = tmp_path / "data"
    shutil.copytree(_template, data)
    settings = Settings(data_dir=str(data), audit=False)
    store = Store.open(settings.effective_database_url)
    box = SecretBox(load_master_key(settings.data_path, None))
    yield Iamd(store, new_environment(box, settings))
    store.dispose()
