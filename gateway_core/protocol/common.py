"""Field types and the base model shared by every message on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

PROTOCOL_VERSION = 1
"""Bumped on any change an older peer could misread. EAs announce theirs in `hello`."""

MAX_POSITIONS = 20_000
"""Open positions one terminal may report. MT4 accounts with tens of thousands of orders
exist; past this an event that would add one more is refused with `limit_exceeded`."""
MAX_PENDING_ORDERS = 20_000
"""Pending orders one terminal may report (same rule)."""

Ticket = Annotated[int, Field(gt=0, lt=2**31, description="MT4 order ticket")]
Price = Annotated[float, Field(ge=0, description="Price; 0 means not set for S/L and T/P")]
Money = float
Lots = Annotated[float, Field(gt=0, le=100_000, description="Volume in lots")]
Symbol = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._#&+\-]+$"),
]
AgentId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"),
]
RequestId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]
OrderComment = Annotated[str, StringConstraints(max_length=64)]
# MT4 keeps at most 31 characters of a comment; longer ones are refused up front rather
# than silently cut by the broker.
CommandComment = Annotated[str, StringConstraints(max_length=31)]
Timestamp = AwareDatetime

PositionSide = Literal["buy", "sell"]
PendingType = Literal["buy_limit", "sell_limit", "buy_stop", "sell_stop"]
OrderType = Literal["buy", "sell", "buy_limit", "sell_limit", "buy_stop", "sell_stop"]
PENDING_TYPES: frozenset[str] = frozenset({"buy_limit", "sell_limit", "buy_stop", "sell_stop"})


class WireModel(BaseModel):
    """Strict base for everything parsed from a peer: unknown keys are an error, NaN too."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)
