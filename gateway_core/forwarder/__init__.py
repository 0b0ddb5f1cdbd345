"""Keeps the web platform in sync: durable outbox, platform link, commands from the web.

Plain logic (outbox, send window, backoff, risk guard, command gate, token reading) in
their own modules; `connector.Forwarder` is the thin asyncio adapter over them.
"""

from .backoff import Backoff
from .command_gate import CommandGate
from .connector import Forwarder
from .link_status import LinkStatus
from .outbox import Outbox, OutItem
from .reply_journal import ReplyJournal
from .risk_guard import RiskGuard, RiskPolicy
from .send_window import SendWindow
from .sqlite_store import open_store
from .token_info import TokenInfo, TokenProblem, read_unverified_claims

__all__ = [
    "Backoff",
    "CommandGate",
    "Forwarder",
    "LinkStatus",
    "OutItem",
    "Outbox",
    "ReplyJournal",
    "RiskGuard",
    "RiskPolicy",
    "SendWindow",
    "TokenInfo",
    "TokenProblem",
    "open_store",
    "read_unverified_claims",
]
