"""The decision on a forwarded request, before anything reaches the upstream: the authorization items
(``mapping.py``) with what they need of the upstream (a table's key, a KMS alias's key, the resources'
policies and tags: cached, else read in a worker thread with no transaction open), then one store
transaction: the cache epoch (``cache_epoch.py``: another process's forwarded change drops this one's
caches), the caller's key or session and signature, the decision (``authorization.py``), the audit event.

A pass may have to be made again: the key's account was guessed wrong (the ARNs name another), a decision
needs resource tags not read yet, or another process forwarded a change. The last pass decides whatever
comes. After a forward, ``forget`` drops what it may have changed, here and (through the epoch) elsewhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import anyio
import anyio.to_thread

from iamd.errors import AwsError, InvalidClientTokenId, ServiceFailure
from iamd.gateway import audit, mapping
from iamd.gateway.authorization import TAGS_UNAVAILABLE, Refusal, authorize
from iamd.gateway.authz import AuthorizationItem
from iamd.gateway.cache_epoch import CacheEpoch
from iamd.gateway.classify import ServiceRequest
from iamd.gateway.errors import UpstreamUnavailable
from iamd.gateway.exchange import Exchange
from iamd.gateway.lookups import Cold, UpstreamLookups
from iamd.gateway.resource_policies import (
    RESOURCE_POLICY_SERVICES,
    ResourcePolicies,
    ResourcePolicyUnavailable,
)
from iamd.gateway.resource_tags import ResourceTags, TagSource, TagsUnavailable, source_of
from iamd.gateway.upstream import Upstream
from iamd.protocol import sigv4
from iamd.service.authenticate import (
    KEY_SELECT,
    is_temporary,
    key_reads,
    key_row,
    owner_of_key,
    principal_for_key,
    principal_for_session,
)
from iamd.service.context import ANONYMOUS, Call, Environment
from iamd.store.database import ATTEMPTS, lost_race
from iamd.store.fastpath import HotQuery, read_ahead

log = logging.getLogger("iamd.gateway")

Signed = sigv4.SignedRequest | None
Items = tuple[AuthorizationItem, ...]
Policies = dict[int, tuple[str | None, str | None]]

DATABASE_THREADS = 16
_KEY = HotQuery(KEY_SELECT)
_KEY_AND_EPOCH = HotQuery(KEY_SELECT.add_columns(CacheEpoch.column()))
DEFAULT_REGION = "us-east-1"  # an unsigned request's


@dataclass
class Verdict:
    call: Call
    refusal: str | None = None  # the AccessDenied message
    decision: Any = None
    signing_key: bytes | None = None  # to verify S3's chunk signatures (never the secret itself)
    owner: str = ""  # the resource's owner when known: the account the request is forwarded in
    # Decide again, outside this transaction: "tags" (a decision needs resource tags not read yet),
    # "epoch" (another process forwarded a change: this one's caches were dropped).
    again: str = ""


@dataclass(frozen=True)
class Pass:
    """One attempt at the decision: the account the ARNs were built for, the items whose tags are
    settled, and whether it is the last (which decides whatever comes, rather than asking again)."""

    guess: str
    settled: frozenset[int]
    unavailable: frozenset[int]  # settled, but the upstream would not give their tags
    final: bool


_NONE: frozenset[int] = frozenset()
_PASSES = 4  # a first pass, then one for each reason to decide again: the account, the tags, the epoch


class Decisions:
    """The gateway's decisions and the caches of the upstream they read (lookups, tags, resource policies)."""

    def __init__(self, store: Any, env: Environment, upstream: Upstream, *, threaded: bool = False,
                 resource_policies: ResourcePolicies | None = None):
        self.store, self.env = store, env
        self.threaded = threaded
        self.resource_policies = resource_policies
        self.lookups = UpstreamLookups(upstream)
        self.tags = ResourceTags(upstream)
        self.epoch = CacheEpoch(self.clear_caches)
        # The environment's parts, typed as what they are (Environment names them object).
        self.trail: Any = env.audit
        self.authorizer: Any = env.authorizer
        self.last_used: Any = env.last_used
        self._limiter: anyio.CapacityLimiter | None = None

    def _items_cached(self, service_request: ServiceRequest, account_id: str) -> Items:
        """The mapping's items, with what it needs of the upstream (a table's key, an alias's key) from the
        caches; Cold when something is not cached (then ``_items_read`` reads it, in a worker thread)."""
        return mapping.authorization_items(service_request, account_id, key_schema=self.lookups.cached_key_schema,
                                           kms_alias=self._cached_alias)

    def _items_read(self, service_request: ServiceRequest, account_id: str) -> Items:
        aliases = self.resource_policies.kms_alias if self.resource_policies is not None else None
        return mapping.authorization_items(service_request, account_id, key_schema=self.lookups.key_schema,
                                           kms_alias=aliases)

    def _cached_alias(self, account_id: str, region: str, alias: str) -> str | None:
        """The key a KMS alias points to, from gw-respol's cache (dropped with the alias's changes)."""
        if self.resource_policies is None:
            return None
        known, key_id = self.resource_policies.kms_alias_cached(account_id, region, alias)
        if not known:
            raise Cold("kms alias")
        return key_id

    async def decide(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                      now: datetime) -> Verdict:
        guess = _account_guess(signed)
        read_tags = False
        passes, attempt = _PASSES, 0
        while attempt < passes:
            # What is cached is had without a coroutine each (most requests, every pass): the awaits below
            # are only for what must be read from the upstream, in a worker thread.
            items: Items = ()
            if service_request is not None:
                try:
                    items = self._items_cached(service_request, guess)
                except Cold:
                    items = await anyio.to_thread.run_sync(self._items_read, service_request, guess)
            policies, missing = self._cached_policies(items, guess)
            if missing:
                policies.update(await anyio.to_thread.run_sync(self._read_policies, missing, guess))
            items, settled, unavailable, untagged = self._cached_tags(items, policies, guess, read_tags)
            if untagged:
                items, settled, unavailable = await self._read_tags_of(items, settled, untagged)
            # The last pass decides whatever comes (other processes' changes may keep coming).
            final = attempt == passes - 1
            this = Pass(guess, settled, unavailable, final)
            if self.threaded:  # PostgreSQL: in a database thread
                verdict = await self._in_thread(exchange, signed, service_request, items, policies, now, this)
            else:  # SQLite: in the event loop
                verdict = self._decide_in_store(exchange, signed, service_request, items, policies, now, this)
            if not verdict.again:
                return verdict
            if verdict.again == "account":  # the key's account was guessed wrong: the ARNs name another
                guess = verdict.call.account_id
                # No pass reads the upstream in its transaction (on SQLite, in the event loop: every
                # other request would wait): a wrong guess found by the last pass gets one more, once.
                passes = min(passes + int(final), _PASSES + 1)
            read_tags = read_tags or verdict.again == "tags"
            attempt += 1
        # Only an account that changed between passes twice (a key's never does) comes here.
        raise ServiceFailure("An internal error occurred.")

    async def _in_thread(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                         items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(DATABASE_THREADS)
        return await anyio.to_thread.run_sync(self._decide_in_store, exchange, signed, service_request, items,
                                              policies, now, this, limiter=self._limiter)

    def _cached_tags(self, items: Items, policies: Policies, caller_account: str, read: bool
                     ) -> tuple[Items, frozenset[int], frozenset[int], list[tuple[int, TagSource]]]:
        """The items with their resources' tags as context keys where cached, the indexes whose tags are
        settled (known, or none to know), none unavailable yet, and the (index, source) pairs whose tags
        are to be read from the upstream (only when ``read``: ``_read_tags_of``)."""
        if not items:
            return items, _NONE, _NONE, []
        out, settled, missing = list(items), set(), []
        for index, item in enumerate(items):
            source = source_of(item, policies.get(index, (None, None))[1], caller_account)
            if source is None:
                settled.add(index)
                continue
            tags = self.tags.cached(source)
            if tags is not None:
                out[index] = replace(item, context={**item.context, **source.context(tags)})
                settled.add(index)
            elif read:
                missing.append((index, source))
        return tuple(out), frozenset(settled), _NONE, missing

    async def _read_tags_of(self, items: Items, settled: frozenset[int], missing: list[tuple[int, TagSource]]
                            ) -> tuple[Items, frozenset[int], frozenset[int]]:
        """The missing tags read from the upstream in a worker thread, added to their items; the settled
        indexes, and those whose tags the upstream would not give."""
        out, now_settled, unavailable = list(items), set(settled), set()
        read_tags = await anyio.to_thread.run_sync(self._read_tags, [source for _, source in missing])
        for (index, source), tags in zip(missing, read_tags, strict=True):
            if tags is None:
                unavailable.add(index)
            else:
                out[index] = replace(out[index], context={**out[index].context, **source.context(tags)})
            now_settled.add(index)
        return tuple(out), frozenset(now_settled), frozenset(unavailable)

    def _read_tags(self, sources: list[TagSource]) -> list[dict[str, str] | None]:
        """Each source's tags; None where the upstream would not give them (a bucket policy may deny
        iamd's own upstream credentials GetObjectTagging): authorize() decides what that means."""
        found: list[dict[str, str] | None] = []
        for source in sources:
            try:
                found.append(self.tags.lookup(source))
            except TagsUnavailable as error:
                log.warning("the tags of a %s resource could not be read: %s", source.service, error)
                found.append(None)
        return found

    def clear_caches(self) -> None:
        self.lookups.clear()
        self.tags.clear()
        if self.resource_policies is not None:
            self.resource_policies.clear()

    def _cached_policies(self, items: Items, caller_account: str) -> tuple[Policies, list[tuple[int, str, str]]]:
        """The policies and owners of the items' resources from the cache, and the (index, service,
        resource) to read from the upstream before the transaction opens (``_read_policies``, in a thread)."""
        found: Policies = {}
        missing: list[tuple[int, str, str]] = []
        if self.resource_policies is None or not items:
            return found, missing
        for index, item in enumerate(items):
            service = item.action.partition(":")[0]
            if service not in RESOURCE_POLICY_SERVICES or item.resource in ("", "*"):
                continue
            known = self.resource_policies.cached(service, item.resource, caller_account or None)
            if known is None:
                missing.append((index, service, item.resource))
            else:
                found[index] = (known.document, known.owner_account)
        return found, missing

    def _read_policies(self, missing: list[tuple[int, str, str]], caller_account: str) -> Policies:
        assert self.resource_policies is not None  # only called when there are some
        found: Policies = {}
        for index, service, resource in missing:
            try:
                policy = self.resource_policies.lookup(service, resource, caller_account or None)
            except ResourcePolicyUnavailable as error:  # fail closed: a Deny in it would be missed
                raise UpstreamUnavailable(f"The resource-based policy of {resource} could not be read: {error}."
                                          ) from None
            found[index] = (policy.document, policy.owner_account)
        return found

    def forget(self, service_request: ServiceRequest) -> bool:
        """Drop what the forwarded request may have changed, here and (through the cache epoch) in
        every other process sharing the store, before its client gets the answer. True when the epoch
        is still to be moved in a database thread (PostgreSQL): then ``publish``. Not a coroutine: most
        forwards change nothing, and on SQLite the epoch moves here."""
        identified = service_request.identified
        try:
            changed = self.lookups.forget(identified.service, identified.operation, service_request.params)
            changed = self.tags.forget(identified.service, identified.operation, service_request.params) or changed
            if self.resource_policies is not None:
                changed = self.resource_policies.forget(service_request) or changed
            if changed and not self.threaded:
                self._bump_epoch()
                return False
            return changed
        except Exception:  # a stale cache entry expires; never fail the answer already given
            log.exception("dropping a cached resource policy failed")
            return False

    async def publish(self) -> None:
        """``forget``'s epoch moved in a database thread."""
        try:
            await anyio.to_thread.run_sync(self._bump_epoch, limiter=self._limiter)
        except Exception:  # a stale cache entry expires; never fail the answer already given
            log.exception("dropping a cached resource policy failed")

    def _bump_epoch(self) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.store.transaction(write=True) as tx:
                    self.epoch.bump(tx)
                return
            except Exception as error:  # lost a race with another transaction: run it again
                if attempt == ATTEMPTS or not lost_race(error):
                    raise

    def _decide_in_store(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                         items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._decide_once(exchange, signed, service_request, items, policies, now, this)
            except Exception as error:  # lost a race with another transaction: run it again
                if attempt == ATTEMPTS or not lost_race(error):
                    raise
        raise ServiceFailure("An internal error occurred.")  # not reached

    def _decide_once(self, exchange: Exchange, signed: Signed, service_request: ServiceRequest | None,
                     items: Items, policies: Policies, now: datetime, this: Pass) -> Verdict:
        audited = self.trail is not None and self.trail.enabled and service_request is not None
        check_epoch = not this.final and service_request is not None
        long_term = signed is not None and not is_temporary(signed.access_key_id, signed.security_token)
        # A long-term key's row and the cache epoch come in one statement; a session's caller reads the epoch
        # on its own (on PostgreSQL in the same round trip as its account's counter: store.fastpath.read_ahead).
        reads = CacheEpoch.reads() if check_epoch and not long_term else []
        with self.store.transaction(write=audited) as tx, read_ahead(tx, reads):
            row = None
            if long_term:
                assert signed is not None
                row = key_row(tx, signed.access_key_id, _KEY_AND_EPOCH if check_epoch else _KEY)
            if check_epoch and not (self.epoch.seen(row.cache_epoch) if row is not None else self.epoch.fresh(tx)):
                return Verdict(Call(principal=ANONYMOUS, now=now, request_id=exchange.request_id, env=self.env),
                               again="epoch")
            call, key = self._caller(tx, exchange, signed, now, audited, row)
            if call.account_id and call.account_id != this.guess and service_request is not None:
                # Rare (a key's first use): items, policies and tags read again for it, outside this
                # transaction, even on the last pass: reading the upstream here would hold the
                # transaction open and, on SQLite, the event loop (every other request) with it.
                return Verdict(call, again="account")
            if service_request is None:  # IAMD_UPSTREAM_UNCLASSIFIED=forward: authenticated, not authorized
                return Verdict(call, signing_key=key)
            refusal = authorize(tx, self.authorizer, call, items, policies, None if this.final else this.settled,
                                this.unavailable)
            if refusal is TAGS_UNAVAILABLE:  # fail closed: a Deny on a tag would be missed
                raise UpstreamUnavailable("The tags of the request's resource could not be read from the upstream.")
            if not isinstance(refusal, Refusal | None):  # nothing recorded: decided again with its tags
                return Verdict(call, again="tags")
            message = None
            if refusal is not None:
                message = refusal.message(call.principal.arn, exchange.service)
            if audited:
                self.trail.write(tx, audit.event(call, exchange.service, exchange.operation, exchange.params,
                                                     exchange.host, error_code="AccessDenied" if message else None,
                                                     error_message=message))
            owners = [owner for _, owner in policies.values()] + [item.resource_owner for item in items]
            owner = next((owner for owner in owners if owner and owner.isdigit() and len(owner) == 12), "")
            return Verdict(call, message, refusal.decision if refusal else None, key, owner)

    def _caller(self, tx: Any, exchange: Exchange, signed: Signed, now: datetime, audited: bool, row: Any
                ) -> tuple[Call, bytes | None]:
        """The caller (anonymous when unsigned), its signature checked; the chunk signing key. ``row``: a
        long-term key's row, read already (``key_row``)."""
        common = dict(now=now.replace(microsecond=0), request_id=exchange.request_id, env=self.env,
                      source_ip=exchange.client_ip, user_agent=exchange.headers.get("user-agent", ""),
                      service=exchange.service, secure_transport=exchange.secure, tx=tx,
                      trail={} if audited else None)
        if signed is None:
            return Call(principal=ANONYMOUS, region=DEFAULT_REGION, **common), None
        temporary = signed.security_token is not None or signed.access_key_id.startswith("ASIA")
        try:
            if temporary and self.env.sessions is not None:
                owner = principal_for_session(tx, self.env.sessions, signed.access_key_id, signed.security_token, now)
            elif row is not None:
                owner = owner_of_key(self.env.secrets, row)
            else:
                owner = principal_for_key(tx, self.env.secrets, signed.access_key_id)
        except InvalidClientTokenId as error:
            if exchange.protocol == "rest-xml" and temporary:
                raise _InvalidToken("The provided token is malformed or otherwise invalid.") from None
            raise error
        sigv4.verify_signature(signed, owner.secret_access_key)
        self.last_used.record(signed.access_key_id, owner.principal, owner.session, now, signed.service,
                                  signed.region)
        key = sigv4.signing_key(owner.secret_access_key, signed.scope_date, signed.region, signed.service)
        call = Call(principal=owner.principal, region=signed.region, auth_epoch=owner.auth_epoch,
                    session=owner.session, session_context=owner.session_context, **common)
        return call, key



class _InvalidToken(AwsError):
    code, status = "InvalidToken", 400



def _account_guess(signed: Signed) -> str:
    """The account a key likely belongs to, before the store says (the mapping's ARNs need one)."""
    if signed is None:
        return ""
    return key_reads(signed.access_key_id)[0]

