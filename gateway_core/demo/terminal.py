"""One simulated MT4 terminal with our EA attached: messages in, messages out.

Sans-I/O, like python-websockets' protocol objects: the owner calls `connect()` when a
connection opens, `receive_text()` with every frame from the gateway, `poll()` whenever
`seconds_until_due()` says something is due, and sends what `data_to_send()` returns. Nothing
here awaits, sleeps or reads the system clock, so tests drive it with a hand-moved clock.
"""

from __future__ import annotations

import logging
import math
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..protocol import (
    PROTOCOL_VERSION,
    TRADE_COMMANDS,
    AccountData,
    AgentMessage,
    CloseAll,
    ClosePosition,
    Command,
    DeleteOrder,
    ErrorCode,
    ExecuteTrade,
    GetSnapshot,
    Heartbeat,
    Hello,
    HelloData,
    ModifyPosition,
    PositionsUpdate,
    PositionsUpdateData,
    ProtocolError,
    Quote,
    QuoteData,
    Snapshot,
    SnapshotData,
    SubscribeQuotes,
    SymbolInfo,
    TradeExecuted,
    TradeResultData,
    parse_command,
)
from .broker import Broker, BrokerConfig
from .clock import Clock
from .market import DEFAULT_SYMBOLS, Market, SymbolSpec
from .orders import Account, BrokerError, Opened, Triggered
from .replies import Reply, failure, rejection, success
from .trader import PretendTrader
from .wire import (
    account_data,
    account_update,
    broker_event,
    pending_data,
    position_data,
    position_tick,
    symbol_info_data,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    agent_id: str
    login: int
    server: str = "Demo-Server"
    company: str = "MT4 Companion Demo"
    account_name: str = "Demo Trader"
    currency: str = "USD"
    leverage: int = 100
    balance: float = 10_000.0
    terminal_build: int = 1420
    ea_version: str = "demo-1.0"
    tick_interval: float = 0.25
    """Seconds between market steps (and S/L, T/P, pending checks)."""
    positions_update_interval: float = 0.5
    """At most one `positions_update` (changed tickets only) per interval."""
    account_update_interval: float = 0.5
    """Floating equity changes are batched to this; balance/margin changes go at once."""
    heartbeat_interval: float = 5.0
    manual_trade_rate: float = 0.0
    """Pretend-trader actions per second; 0 turns the trader off."""
    reply_cache_size: int = 1000
    """Trade replies remembered per request_id to answer a retried command without trading."""
    symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS
    broker: BrokerConfig = field(default_factory=BrokerConfig)


class DemoTerminal:
    def __init__(self, config: TerminalConfig, *, clock: Clock, rng: random.Random) -> None:
        self.config = config
        self.agent_id = config.agent_id
        self._clock = clock
        self._rng = rng
        self.market = Market(rng, config.symbols)
        account = Account(
            login=config.login,
            currency=config.currency,
            leverage=config.leverage,
            balance=config.balance,
            name=config.account_name,
        )
        self.broker = Broker(self.market, clock, rng, account, config.broker)
        self.trader = PretendTrader(self.broker, rng)
        self.connected = False
        self.subscriptions: set[str] = set()
        self._outbox: list[AgentMessage] = []
        self._replies: OrderedDict[str, Reply] = OrderedDict()
        # What the gateway was last told, to send only what changed.
        self._sent_ticks: dict[int, tuple[float, float, float]] = {}
        self._sent_account: AccountData | None = None
        now = clock.monotonic()
        self._last_step = now
        self._next_tick = now
        self._next_positions = now
        self._next_account = now
        self._next_heartbeat = now

    # -- connection lifecycle ------------------------------------------------------------

    def connect(self) -> None:
        """A connection opened: introduce ourselves, then the full state, then the symbols."""
        self.connected = True
        # A new session starts clean: the gateway re-subscribes what it wants.
        self.subscriptions.clear()
        self._outbox.clear()
        self.broker.drain_events()  # the snapshot below covers anything not yet reported
        now = self._clock.now()
        self._outbox.append(Hello(type="hello", timestamp=now, data=self._hello_data()))
        self._outbox.append(self._snapshot())
        for spec in self.market.specs.values():
            self._outbox.append(
                SymbolInfo(type="symbol_info", timestamp=now, data=symbol_info_data(spec))
            )
        mono = self._clock.monotonic()
        self._next_heartbeat = mono + self.config.heartbeat_interval
        self._next_positions = mono + self.config.positions_update_interval
        self._next_account = mono + self.config.account_update_interval

    def disconnect(self) -> None:
        """The connection is gone: nothing queued can be delivered any more."""
        self.connected = False
        self._outbox.clear()

    # -- input ---------------------------------------------------------------------------

    def receive_text(self, raw: str | bytes) -> None:
        """One frame from the gateway. Every command gets exactly one reply."""
        try:
            command = parse_command(raw)
        except ProtocolError as exc:
            self._reject(raw, exc)
            return
        self.handle(command)

    def handle(self, command: Command) -> None:
        rid = command.request_id
        if command.command in TRADE_COMMANDS and rid in self._replies:
            # A retry of a trade we already did: answer as before, never trade twice.
            log.info("%s: duplicate request_id %s answered from cache", self.agent_id, rid)
            self._outbox.append(self._replies[rid])
            return
        try:
            reply = self._dispatch(command)
        except Exception as exc:  # one reply per command, whatever goes wrong in here
            log.exception("%s: %s failed unexpectedly", self.agent_id, command.command)
            reply = self._failure(command, "internal_error", f"demo terminal error: {exc}")
        self._flush_broker()
        if command.command in TRADE_COMMANDS:
            self._replies[rid] = reply
            while len(self._replies) > self.config.reply_cache_size:
                self._replies.popitem(last=False)
        self._outbox.append(reply)

    # -- time ----------------------------------------------------------------------------

    def seconds_until_due(self) -> float:
        """How long the owner may wait before calling `poll()` again."""
        due = min(self._next_tick, self._next_heartbeat, self._next_positions)
        return max(0.0, due - self._clock.monotonic())

    def poll(self) -> None:
        """Move the market if a tick is due and emit whatever has become due."""
        now = self._clock.monotonic()
        if now >= self._next_tick:
            dt = now - self._last_step
            self._last_step = now
            self._next_tick = now + self.config.tick_interval
            changed = self.market.step(dt)
            self.broker.update()
            rate = self.config.manual_trade_rate
            if rate > 0 and self._rng.random() < 1.0 - math.exp(-rate * dt):
                done = self.trader.act()
                log.debug("%s: pretend trader: %s", self.agent_id, done)
            if self.connected:
                wall = self._clock.now()
                for symbol in changed:
                    if symbol in self.subscriptions:
                        self._outbox.append(self._quote(symbol, wall))
        self._flush_broker()
        if now >= self._next_positions:
            self._next_positions = now + self.config.positions_update_interval
            self._positions_update()
        if now >= self._next_account:
            self._account_update(force_throttled=True)
        if now >= self._next_heartbeat:
            # On a fixed grid, so a late poll does not stretch every later interval.
            self._next_heartbeat += self.config.heartbeat_interval
            if self._next_heartbeat <= now:
                self._next_heartbeat = now + self.config.heartbeat_interval
            if self.connected:
                self._outbox.append(
                    Heartbeat(type="heartbeat", timestamp=self._clock.now(), agent_id=self.agent_id)
                )

    # -- output --------------------------------------------------------------------------

    def messages_to_send(self) -> list[AgentMessage]:
        """Drain the outgoing messages as models (tests and benchmarks)."""
        out, self._outbox = self._outbox, []
        return out

    def data_to_send(self) -> list[str]:
        """Drain the outgoing messages as JSON text frames, the EA's wire format."""
        return [m.model_dump_json(exclude_none=True) for m in self.messages_to_send()]

    # -- command handling ----------------------------------------------------------------

    def _dispatch(self, command: Command) -> Reply:
        if command.expires_at is not None and command.expires_at <= self._clock.now():
            return self._failure(command, "command_expired", "the command expired before it ran")
        try:
            match command:
                case ExecuteTrade(data=d):
                    order = self.broker.open(
                        d.symbol,
                        d.type,
                        d.lots,
                        price=d.price,
                        stop_loss=d.stop_loss,
                        take_profit=d.take_profit,
                        slippage=d.slippage,
                        magic_number=d.magic_number,
                        comment=d.comment,
                        expiration=d.expiration,
                    )
                    return TradeExecuted(
                        type="trade_executed",
                        request_id=command.request_id,
                        success=True,
                        timestamp=self._clock.now(),
                        data=TradeResultData(
                            ticket=order.ticket,
                            open_price=order.open_price,
                            lots=order.lots,
                            symbol=order.symbol,
                            type=order.type,
                            attempts=1,
                        ),
                    )
                case ModifyPosition(data=d):
                    order = self.broker.modify(
                        d.ticket,
                        stop_loss=d.stop_loss,
                        take_profit=d.take_profit,
                        price=d.price,
                        expiration=d.expiration,
                    )
                    return self._success(
                        command,
                        {
                            "ticket": order.ticket,
                            "price": order.open_price,
                            "stop_loss": order.stop_loss,
                            "take_profit": order.take_profit,
                        },
                    )
                case ClosePosition(data=d):
                    result = self.broker.close(d.ticket, d.lots, slippage=d.slippage)
                    data: dict[str, Any] = {
                        "ticket": result.ticket,
                        "close_price": result.close_price,
                        "closed_lots": result.closed_lots,
                        "profit": result.profit,
                    }
                    if result.new_ticket is not None:
                        data["new_ticket"] = result.new_ticket
                    return self._success(command, data)
                case CloseAll(data=d):
                    return self._close_all(command, d.symbol, d.slippage)
                case DeleteOrder(data=d):
                    self.broker.delete(d.ticket)
                    return self._success(command, {"ticket": d.ticket})
                case SubscribeQuotes(data=d):
                    return self._subscribe(command, d.symbols)
                case GetSnapshot():
                    self._flush_broker()
                    snapshot = self._snapshot()
                    self._outbox.append(snapshot)
                    return self._success(
                        command,
                        {
                            "positions": len(snapshot.data.positions),
                            "pending_orders": len(snapshot.data.pending_orders),
                        },
                    )
        except BrokerError as exc:
            return self._failure(command, exc.code, exc.message, exc.mt4_code)
        raise TypeError(f"unhandled command {command!r}")

    def _close_all(self, command: CloseAll, symbol: str | None, slippage: int) -> Reply:
        closed, failed = self.broker.close_all(symbol, slippage=slippage)
        data: dict[str, Any] = {
            "closed": [
                {
                    "ticket": r.ticket,
                    "close_price": r.close_price,
                    "lots": r.closed_lots,
                    "profit": r.profit,
                }
                for r in closed
            ],
            "failed": [
                {"ticket": t, "code": e.code, "message": e.message, "mt4_error": e.mt4_code}
                for t, e in failed
            ],
        }
        if not failed:
            return self._success(command, data)
        first = failed[0][1]
        message = f"{len(failed)} of {len(closed) + len(failed)} positions not closed: {first}"
        return self._failure(command, first.code, message, first.mt4_code, data)

    def _subscribe(self, command: SubscribeQuotes, symbols: list[str]) -> Reply:
        unknown = sorted(set(symbols) - set(self.market.specs))
        if unknown:
            return self._failure(
                command, "unknown_symbol", f"unknown symbols: {', '.join(unknown)}", 4106
            )
        self.subscriptions = set(symbols)
        now = self._clock.now()
        # Current prices at once, so a new subscriber does not wait for the next tick.
        for symbol in sorted(self.subscriptions):
            self._outbox.append(self._quote(symbol, now))
        return self._success(command, {"symbols": sorted(self.subscriptions)})

    def _success(self, command: Command, data: dict[str, Any] | None = None) -> Reply:
        return success(command, self._clock.now(), data)

    def _failure(
        self,
        command: Command,
        code: ErrorCode,
        message: str,
        mt4_code: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> Reply:
        return failure(command, self._clock.now(), code, message, mt4_code, data)

    def _reject(self, raw: str | bytes, exc: ProtocolError) -> None:
        """A frame that is not a valid command. Answer it if it can be matched, else log."""
        reply = rejection(raw, exc, self._clock.now())
        if reply is None:
            log.warning("%s: dropped invalid command: %s", self.agent_id, exc.message)
            return
        self._outbox.append(reply)

    # -- events --------------------------------------------------------------------------

    def _hello_data(self) -> HelloData:
        fields: dict[str, Any] = {
            "agent_id": self.agent_id,
            "account_login": self.config.login,
            "account_name": self.config.account_name,
            "server": self.config.server,
            "company": self.config.company,
            "currency": self.config.currency,
            "leverage": self.config.leverage,
            "terminal_build": self.config.terminal_build,
            "ea_version": self.config.ea_version,
            "protocol_version": PROTOCOL_VERSION,
            "trade_allowed": self.broker.trade_allowed,
            "dll_allowed": True,
        }
        # Newer protocol revisions let the EA announce its heartbeat interval; say it when
        # the model knows the field, so the gateway's staleness check matches our pace.
        if "heartbeat_interval_ms" in HelloData.model_fields:
            fields["heartbeat_interval_ms"] = max(100, round(self.config.heartbeat_interval * 1000))
        return HelloData.model_validate(fields)

    def _snapshot(self) -> Snapshot:
        self.broker.update()
        positions = self.broker.positions()
        account = account_data(self.broker)
        # The gateway now knows everything as of this instant.
        self._sent_ticks = {o.ticket: (o.current_price, o.profit, o.swap) for o in positions}
        self._sent_account = account
        return Snapshot(
            type="snapshot",
            timestamp=self._clock.now(),
            data=SnapshotData(
                account=account,
                positions=[position_data(o) for o in positions],
                pending_orders=[pending_data(o) for o in self.broker.pending_orders()],
            ),
        )

    def _quote(self, symbol: str, now: datetime) -> Quote:
        return Quote(
            type="quote",
            timestamp=now,
            data=QuoteData(
                symbol=symbol, bid=self.market.bid(symbol), ask=self.market.ask(symbol), time=now
            ),
        )

    def _flush_broker(self) -> None:
        """Report what changed in the order pool; balance/margin moves go out at once."""
        changes = self.broker.drain_events()
        if not changes or not self.connected:
            return
        now = self._clock.now()
        for change in changes:
            self._outbox.append(broker_event(change, now))
            # position_opened / order_triggered carry the live figures, so the gateway
            # has them. Not so the remainder of a partial close (it inherits the old
            # ticket's figures), so that one goes out in the next positions_update.
            if isinstance(change, Opened | Triggered):
                o = change.order
                self._sent_ticks[o.ticket] = (o.current_price, o.profit, o.swap)
        self._account_update(force_throttled=False)

    def _positions_update(self) -> None:
        if not self.connected:
            return
        ticks = []
        live: dict[int, tuple[float, float, float]] = {}
        for order in self.broker.positions():
            values = (order.current_price, order.profit, order.swap)
            live[order.ticket] = values
            if self._sent_ticks.get(order.ticket) != values:
                ticks.append(position_tick(order))
        self._sent_ticks = live
        if ticks:
            self._outbox.append(
                PositionsUpdate(
                    type="positions_update",
                    timestamp=self._clock.now(),
                    data=PositionsUpdateData(positions=ticks),
                )
            )

    def _account_update(self, *, force_throttled: bool) -> None:
        """Send the account if it changed. Floating P/L alone waits for the throttle."""
        if not self.connected:
            return
        current = account_data(self.broker)
        last = self._sent_account
        if current == last:
            return
        booked = last is None or (current.balance, current.margin) != (last.balance, last.margin)
        if not booked and not force_throttled:
            return
        self._sent_account = current
        self._next_account = self._clock.monotonic() + self.config.account_update_interval
        self._outbox.append(account_update(current, self._clock.now()))
