"""What the platform keeps durable, as one async interface with two implementations:
`store_sqlite.SqliteStore` (one node, the embedded default; its blocking calls run on a
thread of their own) and `store_postgres.PostgresStore` (N nodes on N hosts).

Tables (see `store_schema`): gateways (owner, highest stored seq, the node holding it, a
fencing epoch), agents (each user's agents' latest state), event_log ((gateway, seq)
unique, for audits), command_journal (a web command's request_id and its one reply).

Fencing: every claim of a gateway bumps its epoch in the same statement that names the
node holding it. A batch commits only while the gateway row still carries the committing
link's epoch (checked under the row's write lock, in the commit's own transaction), so a
link that was replaced elsewhere (a network blip: the old link not yet timed out) can
never apply anything again: it gets `LinkSuperseded` and is closed.

Availability: any failure to reach the database raises `StoreUnavailable`; `health`
says "retrying" until a call succeeds again, and logs each transition once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .agent_view import AgentView
from .store_url import StoreUrl, parse_store_url

log = logging.getLogger(__name__)

LogRow = tuple[int, str, str]
"""(seq, agent_id, event type or "rejected")"""


class GatewayOwnedElsewhere(Exception):
    """This gateway id is registered to another user."""


class LinkSuperseded(Exception):
    """A newer link of this gateway has claimed it (here or on another node)."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Location:
    gateway_id: str
    node_id: str | None
    online: bool


@dataclass(frozen=True, slots=True)
class Claim:
    acked_seq: int
    epoch: int


@dataclass(frozen=True, slots=True)
class JournalEntry:
    agent_id: str
    command: str
    """The command as first submitted (JSON), to tell a retry from a reuse."""
    reply: str | None
    """The reply (JSON) once one arrived."""


class StoreHealth:
    """ok / retrying, with the reason, for /health and one log line per transition."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.state = "ok"
        self.reason = ""
        self.since = time.time()
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        reason = f"{type(exc).__name__}: {exc}"[:200]
        if self.state != "retrying":
            log.warning("database %s unreachable (%s): retrying; nothing is acknowledged "
                        "until it is back", self.what, reason)
            self.state, self.since = "retrying", time.time()
        self.reason = reason

    def succeeded(self) -> None:
        if self.state != "ok":
            log.warning("database %s reachable again after %.1f s", self.what,
                        time.time() - self.since)
            self.state, self.reason, self.since = "ok", "", time.time()

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "reason": self.reason, "since": round(self.since, 3)}


class Store(ABC):
    """Every method may raise `StoreUnavailable`; none blocks the event loop."""

    url: StoreUrl
    health: StoreHealth
    keep_log_per_gateway: int = 100_000

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (safe when several nodes start at once)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """One trivial round trip (keeps `health` current when nothing else is going on)."""

    async def watch(self, every: float = 2.0) -> None:
        """Ping forever: /health says "retrying" within `every` seconds of an outage."""
        while True:
            with contextlib.suppress(StoreUnavailable):
                await self.ping()
            await asyncio.sleep(every)

    # -- gateways ---------------------------------------------------------------------

    @abstractmethod
    async def claim_gateway(self, gateway_id: str, user_id: str, node_id: str) -> Claim:
        """Register/refresh a connected gateway on `node_id` with a new epoch; returns its
        highest stored seq. Raises GatewayOwnedElsewhere."""

    @abstractmethod
    async def release_gateway(self, gateway_id: str, epoch: int) -> None:
        """The link of this epoch ended (no-op if a newer link holds the gateway)."""

    @abstractmethod
    async def release_node(self, node_id: str) -> None:
        """This node is starting or stopping: none of its old gateway links is alive."""

    @abstractmethod
    async def acked_seq(self, gateway_id: str) -> int: ...

    # -- agents -----------------------------------------------------------------------

    @abstractmethod
    async def load_agents(self, user_id: str, gateway_id: str | None = None
                          ) -> dict[str, AgentView]: ...

    @abstractmethod
    async def locate(self, user_id: str, agent_id: str) -> Location | None:
        """Which gateway carries this user's agent, and where that gateway is connected."""

    @abstractmethod
    async def commit_batch(self, gateway_id: str, epoch: int, user_id: str, new_acked: int,
                           changed: Iterable[AgentView], log_rows: Sequence[LogRow]) -> None:
        """Store the changed agents, the log rows and the new highest seq in one
        transaction, if `epoch` still holds the gateway; else LinkSuperseded."""

    async def save_agents(self, user_id: str, gateway_id: str, epoch: int,
                          agents: Iterable[AgentView]) -> None:
        await self.commit_batch(gateway_id, epoch, user_id, 0, agents, [])

    # -- command journal --------------------------------------------------------------

    @abstractmethod
    async def journal_command(self, user_id: str, request_id: str, agent_id: str,
                              command: str) -> JournalEntry | None:
        """Record a web command before it is sent; returns the earlier entry (and records
        nothing) when this user already sent this request_id."""

    @abstractmethod
    async def journal_reply(self, user_id: str, request_id: str, reply: str) -> None:
        """Keep the first reply to a journalled command."""

    @abstractmethod
    async def journal_entry(self, user_id: str, request_id: str) -> JournalEntry | None: ...

    # -- audit ------------------------------------------------------------------------

    @abstractmethod
    async def logged_seqs(self, gateway_id: str) -> list[int]: ...

    @abstractmethod
    async def gateways_of(self, user_id: str) -> list[str]: ...


def open_store(url: StoreUrl | str) -> Store:
    """The store `url` names (not yet opened: await `open()`)."""
    parsed = parse_store_url(url) if isinstance(url, str) else url
    if parsed.kind == "postgresql":
        from .store_postgres import PostgresStore

        return PostgresStore(parsed)
    from .store_sqlite import SqliteStore

    return SqliteStore(parsed)
