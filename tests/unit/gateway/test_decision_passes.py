"""gateway/decision.py's passes: no pass reads the upstream inside its store transaction, which on SQLite
runs in the event loop, so one request's slow upstream read never stalls the others.

The rare path: a key's account is guessed wrong (its first use in this process) on the last pass, after
other processes' changes (the cache epoch) took the earlier ones. The items of the right account then
need a table's key schema the cache does not have. It used to be read in the transaction, on the event
loop, for up to the upstream's timeouts (and a wait of up to 30 s on a read of it already in flight).
The store, the caller's check and the engine are stand-ins here; the passes and the reads are real.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from iamd.errors import ServiceFailure
from iamd.gateway import decision
from iamd.gateway.classify import identify, needs_body, parse
from iamd.gateway.decision import Decisions
from iamd.service.context import ANONYMOUS, Call, PrincipalKind
from tests.unit.gateway.botocore_requests import capture

GUESSED, REAL = "111111111111", "222222222222"
STALL_SECONDS = 3.0


class _Tables:
    """DescribeTable answers at once in the guessed account; in the real one it stalls until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.stalled_on: list[tuple[str, bool]] = []  # (thread's name, released before the stall ended)

    def client(self, service: str, account: str, region: str) -> Any:
        return SimpleNamespace(describe_table=lambda TableName: self._describe(account))  # noqa: N803

    def _describe(self, account: str) -> dict:
        if account == REAL:
            self.started.set()
            released = self.release.wait(STALL_SECONDS)
            self.stalled_on.append((threading.current_thread().name, released))
        return {"Table": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}


class _Store:
    @contextlib.contextmanager
    def transaction(self, write: bool = False):
        yield SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))


def _get_item() -> Any:
    r = capture("dynamodb", "GetItem", {"TableName": "T", "Key": {"pk": {"S": "u1"}}})
    body = r.body if needs_body(r.method, r.path, r.headers, r.signing_name) else None
    found = identify(r.method, r.path, r.query, r.headers, r.host, r.signing_name, body)
    return parse(found, r.method, r.path, r.query, r.headers, r.body, "us-east-1")


def _decisions(monkeypatch: pytest.MonkeyPatch, upstream: Any, accounts: Any) -> tuple[Decisions, list]:
    """Decisions (on SQLite: threaded=False, the transaction in the event loop) whose every non-final
    pass sees another process's change (a new cache epoch), whose caller is in ``accounts()``'s account,
    and whose engine allows, recording the items it was given."""
    env = SimpleNamespace(audit=None, authorizer=None, last_used=None)
    decisions = Decisions(_Store(), env, upstream, threaded=False)  # type: ignore[arg-type]
    epochs = iter(range(1, 100))
    monkeypatch.setattr(decision, "key_row", lambda tx, key_id, query: SimpleNamespace(cache_epoch=next(epochs)))
    monkeypatch.setattr(decision, "_account_guess", lambda signed: GUESSED)

    def caller(tx, exchange, signed, now, audited, row):
        principal = replace(ANONYMOUS, kind=PrincipalKind.ROOT, account_id=accounts(), arn="arn:aws:iam::x:root")
        return Call(principal=principal, now=now, request_id="r", env=env), None  # type: ignore[arg-type]

    monkeypatch.setattr(decisions, "_caller", caller)
    authorized: list = []

    def authorize(tx, authorizer, call, items, policies, settled, unavailable):
        authorized.append(items)
        return None

    monkeypatch.setattr(decision, "authorize", authorize)
    return decisions, authorized


_SIGNED = SimpleNamespace(access_key_id="AKIAIOSFODNN7EXAMPLE", security_token=None)
_EXCHANGE = SimpleNamespace(request_id="r", service="dynamodb")


def test_a_wrong_account_found_by_the_last_pass_is_read_outside_the_event_loop(monkeypatch):
    tables = _Tables()
    decisions, authorized = _decisions(monkeypatch, tables, lambda: REAL)

    async def run() -> tuple[Any, int]:
        ticks = 0

        async def other_requests() -> None:  # what every other request on this server needs: the loop
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(other_requests())
        deciding = asyncio.create_task(decisions.decide(_EXCHANGE, _SIGNED, _get_item(), datetime.now(UTC)))
        while not tables.started.is_set() and not deciding.done():
            await asyncio.sleep(0.01)
        before = ticks
        await asyncio.sleep(0.3)  # the stalled read still in flight
        during = ticks - before
        tables.release.set()
        verdict = await deciding
        ticker.cancel()
        return verdict, during

    verdict, ticks_during_the_stall = asyncio.run(run())
    assert verdict.refusal is None and not verdict.again
    assert ticks_during_the_stall >= 5  # the loop went on while the read waited
    [(thread, released)] = tables.stalled_on
    assert released  # the stall ended by the release the loop sent, not by its own end
    assert thread != threading.main_thread().name
    [items] = authorized  # decided once, by the right account's items
    [item] = items
    assert item.resource == f"arn:aws:dynamodb:us-east-1:{REAL}:table/T"
    assert item.context["dynamodb:LeadingKeys"] == ["u1"]


def test_an_account_that_keeps_changing_is_a_failure_never_an_allow(monkeypatch):
    accounts = iter([REAL, GUESSED] * 10)
    tables = _Tables()
    tables.release.set()  # no stall here
    decisions, authorized = _decisions(monkeypatch, tables, lambda: next(accounts))
    monkeypatch.setattr(decisions.epoch, "seen", lambda value: True)  # no change elsewhere: every pass meets
    # another account
    with pytest.raises(ServiceFailure):
        asyncio.run(decisions.decide(_EXCHANGE, _SIGNED, _get_item(), datetime.now(UTC)))
    assert authorized == []
