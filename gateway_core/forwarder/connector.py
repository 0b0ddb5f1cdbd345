"""The forwarder: a thin asyncio adapter between the gateway and the platform backend.

Everything the gateway publishes (events, agent status) and every reply to a platform
command goes into the outbox first (one SQLite transaction per event-loop turn), then out
on the link in sequence order; acknowledged items are pruned. After each (re)connect the
backend says what it has, the rest is resent, and every agent's snapshot follows.
Connection, clock, sleep and random source are injected; the logic lives in the plain
classes next to this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .. import __version__
from ..clock import Clock, SystemClock
from ..commands.reply_factory import failure_reply
from ..protocol import REPLY, Command, Reply
from ..protocol.notices import AgentStatusNotice
from ..state import AgentState
from .backoff import Backoff
from .command_gate import CommandGate, Verdict
from .desk_confirmation import DeskConfirmation, TradeToConfirm
from .link_protocol import (
    LinkAck,
    LinkCommand,
    LinkProtocolError,
    LinkWelcome,
    encode_batch,
    encode_hello,
    parse_backend_frame,
)
from .link_status import LinkState, LinkStatus, safe_url
from .outbox import Outbox, OutItem
from .reply_journal import ReplyJournal
from .risk_guard import RiskGuard, RiskPolicy
from .send_window import SendWindow
from .sqlite_store import Checkpointer, db_file
from .token_info import WARN_BEFORE, TokenInfo, TokenProblem, read_unverified_claims

log = logging.getLogger(__name__)

AUTH_CLOSE_CODES = frozenset({4001, 4003})
"""Close codes the backend uses for 'this token/gateway may not publish': stop retrying."""
REVOKED_CLOSE_CODE = 4401
"""The trader (or the platform) revoked this gateway's link: retrying cannot help."""
REVOKED_WORDS = "revoked by the platform, link again"
WELCOME_TIMEOUT = 10.0
MAX_TIMER = 86_400.0
"""Longest single timer the forwarder sets (seconds)."""
CHECKPOINT_EVERY = 0.05
"""Seconds between background WAL checkpoints while items are being written."""


class LinkConnection(Protocol):
    """What the forwarder needs from a connection (websockets' ClientConnection fits)."""

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...

    def __aiter__(self) -> Any: ...


ConnectFn = Callable[[str, dict[str, str]], Awaitable[LinkConnection]]
CommandListener = Callable[[str, Command, Reply], None]
"""(agent_id, platform command, its reply): every trade the platform asked for, answered."""


async def websockets_connect(url: str, headers: dict[str, str]) -> LinkConnection:
    conn = await ws_connect(
        url,
        additional_headers=headers,
        open_timeout=10,
        ping_interval=20,
        ping_timeout=20,
        max_size=16 * 1024 * 1024,
        compression=None,
        user_agent_header=f"mt4-gateway/{__version__}",
        logger=logging.getLogger("gateway_core.forwarder.websockets"),
    )
    return conn


class GatewayLike(Protocol):
    """The part of `gateway_core.server.Gateway` the forwarder uses."""

    backend_status: Callable[[], dict[str, Any]] | None

    def add_listener(self, listener: Callable[[Any], None]) -> None: ...

    def remove_listener(self, listener: Callable[[Any], None]) -> None: ...

    async def execute(self, agent_id: str, command: Command, origin: Any = ...) -> Reply: ...

    @property
    def registry(self) -> Iterable[AgentState]: ...


class AuthFailed(Exception):
    pass


class LinkRevoked(AuthFailed):
    pass


def _says_revoked(text: str) -> bool:
    return "revoked" in text.lower()


class Forwarder:
    def __init__(
        self,
        gateway: GatewayLike,
        *,
        url: str,
        token: str,
        outbox: Outbox,
        journal: ReplyJournal,
        policy: RiskPolicy | None = None,
        connect: ConnectFn = websockets_connect,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: SendWindow | None = None,
        confirmation: DeskConfirmation | None = None,
    ) -> None:
        self.gateway = gateway
        self.url = url
        self._token = token
        self.outbox = outbox
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or RiskPolicy()
        self.gate = CommandGate(journal, RiskGuard(self.policy), self.clock)
        self.confirmation = confirmation or DeskConfirmation()
        self._command_listeners: list[CommandListener] = []
        self._connect = connect
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.window = window or SendWindow()
        self.status = LinkStatus(safe_url(url), outbox.gateway_id,
                                 remote_trading=self.policy.describe())
        self._items: list[OutItem] = []
        self._ack_seen = 0
        self._tick_scheduled = False
        self._wake = asyncio.Event()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._command_tasks: set[asyncio.Task[None]] = set()
        self._running: dict[tuple[str, str], asyncio.Future[tuple[str, str]]] = {}
        """Platform commands being executed -> future of (reply type, reply JSON)."""
        self._token_info: TokenInfo | None = None
        self._stopping = False
        self._status_listeners: list[Callable[[dict[str, Any]], None]] = []
        self._checkpointer: asyncio.Task[None] | None = None
        self._dirty = False
        self._expiry_timer: asyncio.TimerHandle | None = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        self.gateway.add_listener(self._on_output)
        self.gateway.backend_status = self.health
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name="forwarder")
        path = db_file(self.outbox.connection)
        if path is not None:
            self._checkpointer = loop.create_task(self._checkpoints(Checkpointer(path)),
                                                  name="outbox-checkpoints")

    async def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(ValueError):
            self.gateway.remove_listener(self._on_output)
        for t in list(self._command_tasks):
            t.cancel()
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        for task in (self._task, self._checkpointer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tick()  # whatever arrived last is stored, not lost
        self._set_state("stopped")

    def set_token(self, token: str) -> None:
        """A new token (e.g. after auth_failed): reconnect with it."""
        self._token = token
        if self._task is not None and self._task.done() and not self._stopping:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="forwarder")

    def clear_outbox(self) -> int:
        """Discard what the platform has not stored; refused while the link is up (it is
        being delivered right now). Returns how many items were discarded."""
        if self.status.state == "connected":
            raise RuntimeError("the link is up: waiting events are being delivered")
        self._tick()
        return self.outbox.clear()

    def set_policy(self, policy: RiskPolicy) -> None:
        """New limits apply to the next platform command; the link stays up."""
        self.policy = policy
        self.gate.guard.policy = policy
        self.status.remote_trading = policy.describe()
        log.info("platform link: risk guard now %s", policy.describe())

    def add_command_listener(self, listener: CommandListener) -> None:
        """Told of every platform command answered, executed or refused (the tray says it)."""
        self._command_listeners.append(listener)

    def _tell_command(self, agent_id: str, command: Command | None, reply_json: str) -> None:
        if command is None or not self._command_listeners:
            return
        try:
            reply = REPLY.validate_json(reply_json)
        except Exception:
            return  # an `error` message: not an answered command
        for listener in list(self._command_listeners):
            try:
                listener(agent_id, command, reply)
            except Exception:
                log.exception("command listener failed")

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def add_status_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Called with `health()` on every link state change (the desktop's status line)."""
        self._status_listeners.append(listener)

    def _set_state(self, state: LinkState) -> None:
        self.status.state = state
        if self._status_listeners:
            body = self.health()
            for listener in self._status_listeners:
                try:
                    listener(body)
                except Exception:
                    log.exception("status listener failed")

    def health(self) -> dict[str, Any]:
        if self._token_info is not None:
            self.status.token_expires_soon = self._token_info.expires_soon(self.clock.now())
        ob = self.outbox
        return self.status.as_dict(
            self.clock.monotonic(),
            outbox_depth=ob.depth + len(self._items),
            outbox_full=ob.full,
            dropped=ob.dropped,
            last_seq=ob.last_seq,
            acked_seq=ob.acked_seq,
        )

    # -- input: gateway output and platform replies, batched per loop turn -------------

    def _on_output(self, out: Any) -> None:
        if out.kind == "reply" or out.agent_id is None:
            return  # replies to platform commands are queued by _run_command
        self._items.append(OutItem(out.agent_id, getattr(out.message, "type", out.kind),
                                   out.json))
        self._schedule_tick()

    def _enqueue(self, agent_id: str, kind: str, event_json: str) -> None:
        self._items.append(OutItem(agent_id, kind, event_json))
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        if not self._tick_scheduled:
            self._tick_scheduled = True
            asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        """Once per loop turn: what arrived and the latest ack, in one transaction."""
        self._tick_scheduled = False
        items, self._items = self._items, []  # list[OutItem]
        seq = self._ack_seen
        ack = self.window.acked if seq and self.window.ack(seq) else None
        if not items and ack is None:
            return
        try:
            stored = self.outbox.commit(items, ack)
        except Exception:
            log.exception("could not write %d items to the outbox", len(items))
            return
        self._dirty = True
        self.window.stored(stored)
        self._wake.set()

    async def _checkpoints(self, checkpointer: Checkpointer) -> None:
        try:
            while True:
                await asyncio.sleep(CHECKPOINT_EVERY)
                if self._dirty:
                    self._dirty = False
                    running = asyncio.ensure_future(asyncio.to_thread(checkpointer.run))
                    try:
                        await asyncio.shield(running)
                    except asyncio.CancelledError:
                        # The thread still uses the connection: let it finish first.
                        with contextlib.suppress(Exception):
                            await running
                        raise
                    except Exception as exc:
                        log.warning("outbox checkpoint failed: %s", exc)
        finally:
            checkpointer.close()

    # -- connection loop --------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                try:
                    await self._attempt()
                except LinkRevoked:
                    self._revoked()
                    return
                except AuthFailed as exc:
                    self._auth_failed(str(exc))
                    return
                await self._wait_retry()
        finally:
            self._connected.clear()

    def _check_token(self) -> None:
        try:
            info = read_unverified_claims(self._token)
        except TokenProblem as exc:
            raise AuthFailed(str(exc)) from None
        now = self.clock.now()
        if self._token_info != info:
            self._token_info = info
            log.info("platform link: %s", info.describe(now))
            self._schedule_expiry_warning(info, now)
        self.status.signed_in_as = info.subject
        self.status.token_expires_at = info.expires_at
        if info.expired(now):
            raise AuthFailed(info.describe(now) + ": sign in to the platform again")

    def _schedule_expiry_warning(self, info: TokenInfo, now: datetime) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        if info.expires_at is None or info.expired(now):
            return
        delay = (info.expires_at - WARN_BEFORE - now).total_seconds()
        if delay <= 0:
            self._warn_expiry()
        elif delay > MAX_TIMER:
            # Gateway tokens live for weeks; Qt's timers (the desktop runs on qasync) take
            # at most ~24 days in milliseconds. Look again later instead.
            self._expiry_timer = asyncio.get_running_loop().call_later(
                MAX_TIMER, lambda: self._schedule_expiry_warning(info, self.clock.now()))
        else:
            self._expiry_timer = asyncio.get_running_loop().call_later(delay,
                                                                       self._warn_expiry)

    def _warn_expiry(self) -> None:
        info = self._token_info
        if info is not None and info.expires_at is not None:
            self.status.token_expires_soon = True
            log.warning("the platform token for user %s expires at %s: sign in to the "
                        "platform again before then", info.subject,
                        info.expires_at.isoformat(timespec="seconds"))

    async def _attempt(self) -> None:
        self._check_token()
        self.status.attempts += 1
        if self.status.state != "reconnecting":
            self._set_state("connecting")
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            ws = await self._connect(self.url, headers)
        except InvalidStatus as exc:
            code = exc.response.status_code
            if code in (401, 403):
                body = exc.response.body.decode("utf-8", "replace").strip()[:200]
                if code == 401 and _says_revoked(f"{exc.response.reason_phrase} {body}"):
                    raise LinkRevoked(body) from None
                raise AuthFailed(f"the platform refused the token (HTTP {code}"
                                 f"{': ' + body if body else ''})") from None
            self.status.detail = f"backend answered HTTP {code}"
            return
        except (TimeoutError, OSError, ConnectionError) as exc:
            self.status.detail = f"cannot connect: {exc.__class__.__name__}: {exc}"
            return
        except Exception as exc:
            self.status.detail = f"cannot connect: {exc.__class__.__name__}: {exc}"
            return
        started = self.clock.monotonic()
        try:
            await self._session(ws)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            if rcvd is not None and rcvd.code == REVOKED_CLOSE_CODE:
                raise LinkRevoked(rcvd.reason) from None
            if rcvd is not None and rcvd.code in AUTH_CLOSE_CODES:
                raise AuthFailed(f"the platform closed the link: {rcvd.reason or rcvd.code}"
                                 ) from None
            what = f"{rcvd.code} {rcvd.reason}" if rcvd is not None else "no close frame"
            self.status.detail = f"link closed ({what})".strip()
        except (TimeoutError, LinkProtocolError, OSError) as exc:
            self.status.detail = f"link error: {exc}"
            log.warning("platform link: %s", self.status.detail)
        finally:
            self._connected.clear()
            self.window.close()
            self.status.connected_since = None
            with contextlib.suppress(Exception):
                await ws.close()
            self.backoff.connected_for(self.clock.monotonic() - started)

    async def _wait_retry(self) -> None:
        delay = self.backoff.next_delay()
        self.status.retry_at = self.clock.monotonic() + delay
        self._set_state("reconnecting")
        log.info("platform link: %s; retrying in %.1f s", self.status.detail or "down", delay)
        await self._sleep(delay)
        self.status.retry_at = None

    def _revoked(self) -> None:
        self.status.detail = REVOKED_WORDS
        self.status.retry_at = None
        self._set_state("revoked")
        log.error("platform link stopped: %s. Undelivered events (%d) stay in the outbox "
                  "until this gateway is linked again or the outbox is cleared.",
                  REVOKED_WORDS, self.outbox.depth + len(self._items))

    def _auth_failed(self, detail: str) -> None:
        self.status.detail = detail
        self.status.retry_at = None
        self._set_state("auth_failed")
        log.error("platform link stopped: %s. Events keep going to the outbox and will be "
                  "delivered once a valid token is set.", detail)

    # -- one connection ---------------------------------------------------------------

    async def _session(self, ws: LinkConnection) -> None:
        ob = self.outbox
        await ws.send(encode_hello(ob.gateway_id, __version__, ob.last_seq))
        raw = await asyncio.wait_for(ws.recv(), WELCOME_TIMEOUT)
        welcome = parse_backend_frame(raw)
        if not isinstance(welcome, LinkWelcome):
            raise LinkProtocolError(f"expected welcome, got {welcome.type}")
        self._tick()  # store what is pending so the window starts from a settled outbox
        if welcome.acked_seq > ob.last_seq:
            log.warning("backend has seq %d but this gateway only reached %d (outbox "
                        "replaced?)", welcome.acked_seq, ob.last_seq)
        ob.ack(min(welcome.acked_seq, ob.last_seq))
        self._ack_seen = max(self._ack_seen, ob.acked_seq)
        self.window.open(welcome.acked_seq, ob.first_seq(), ob.last_seq)
        backlog = ob.last_seq - self.window.sent_upto
        self._queue_snapshots()
        self.status.detail = f"user {welcome.user_id}, {backlog} items to resend"
        self.status.connected_since = self.clock.now()
        self._set_state("connected")
        self._connected.set()
        log.info("platform link up (%s): %s", self.status.url, self.status.detail)
        loop = asyncio.get_running_loop()
        tasks = {loop.create_task(self._send_loop(ws)), loop.create_task(self._read_loop(ws))}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        for t in done:
            exc = t.exception()
            if exc is not None:
                raise exc
        closed_with: int | None = getattr(ws, "close_code", None)
        reason = getattr(ws, "close_reason", "") or ""
        if closed_with == REVOKED_CLOSE_CODE:
            raise LinkRevoked(reason)
        if closed_with in AUTH_CLOSE_CODES:
            raise AuthFailed(f"the platform closed the link: {reason or closed_with}")
        self.status.detail = f"link closed by the platform ({closed_with} {reason})".strip()

    def _queue_snapshots(self) -> None:
        now = self.clock.now()
        for agent in self.gateway.registry:
            notice = AgentStatusNotice(
                type="agent_status", agent_id=agent.agent_id, status=agent.status,
                reason="gateway (re)connected to the platform", timestamp=now,
                agent=agent.info(),
            )
            self._enqueue(agent.agent_id, "agent_status", notice.model_dump_json(
                exclude_none=True))
            snap = agent.snapshot(now)
            if snap is not None:
                self._enqueue(agent.agent_id, "snapshot", snap.model_dump_json(
                    exclude_none=True))
        self._tick()

    async def _send_loop(self, ws: LinkConnection) -> None:
        window, backlog = self.window, self.outbox.pending
        while True:
            frames = window.next_batch(backlog)
            if frames:
                await ws.send(encode_batch(frames))
                continue
            self._wake.clear()
            frames = window.next_batch(backlog)
            if frames:
                await ws.send(encode_batch(frames))
                continue
            await self._wake.wait()

    async def _read_loop(self, ws: LinkConnection) -> None:
        async for raw in ws:
            frame = parse_backend_frame(raw)
            if isinstance(frame, LinkAck):
                if frame.seq > self._ack_seen:
                    self._ack_seen = frame.seq
                    self._schedule_tick()
            elif isinstance(frame, LinkCommand):
                task = asyncio.get_running_loop().create_task(self._run_command(frame))
                self._command_tasks.add(task)
                task.add_done_callback(self._command_tasks.discard)
            else:
                raise LinkProtocolError("unexpected second welcome")

    # -- platform commands ------------------------------------------------------------

    async def _run_command(self, frame: LinkCommand) -> None:
        verdict = self.gate.admit(frame)
        agent_id = frame.agent_id
        if verdict.action == "answer":
            log.info("platform command %s for %s answered by the gateway (%s)",
                     verdict.key[1], agent_id, verdict.kind)
            self._enqueue(agent_id, verdict.kind, verdict.reply_json)
            if verdict.fresh:  # a repeat of an earlier answer was told the first time
                self._tell_command(agent_id, verdict.command, verdict.reply_json)
            return
        if verdict.action == "join":
            running = self._running.get(verdict.key)
            if running is not None:
                kind, reply_json = await asyncio.shield(running)
                self._enqueue(agent_id, kind, reply_json)
            return
        await self._execute(verdict, agent_id)

    async def _execute(self, verdict: Verdict, agent_id: str) -> None:
        assert verdict.command is not None
        fut: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._running[verdict.key] = fut
        try:
            refused = await self._ask_desk(agent_id, verdict.command)
            if refused is not None:
                reply = refused
            else:
                reply = await self.gateway.execute(agent_id, verdict.command, origin="platform")
        except BaseException:
            self.gate.abandoned(verdict)
            fut.cancel()
            raise
        finally:
            self._running.pop(verdict.key, None)
        if reply.agent_id is None:
            reply = reply.model_copy(update={"agent_id": agent_id})
        reply_json = reply.model_dump_json(exclude_none=True)
        self.gate.finished(verdict, reply_json)
        fut.set_result((reply.type, reply_json))
        self._enqueue(agent_id, reply.type, reply_json)
        self._tell_command(agent_id, verdict.command, reply_json)

    async def _ask_desk(self, agent_id: str, command: Command) -> Reply | None:
        """None when the command may run; a failed reply when the desk said no or said
        nothing before the command expired."""
        desk = self.confirmation
        if not desk.required(command) or command.expires_at is None:
            return None
        answered: asyncio.Future[TradeToConfirm] = asyncio.get_running_loop().create_future()

        def decided(item: TradeToConfirm) -> None:
            if not answered.done():
                answered.set_result(item)

        item = desk.ask(agent_id, command, command.expires_at, on_decided=decided)
        remaining = (command.expires_at - self.clock.now()).total_seconds()
        try:
            await asyncio.wait_for(asyncio.shield(answered), max(0.0, remaining))
        except TimeoutError:
            desk.time_out(item.key)
        except BaseException:
            desk.withdraw(item.key)
            raise
        refusal = item.refusal()
        if refusal is None:
            return None
        code, message = refusal
        return failure_reply(command, code, message, agent_id=agent_id,
                             timestamp=self.clock.now())

