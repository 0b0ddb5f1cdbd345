"""Messages the gateway itself originates towards local clients and peers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import AgentId, RequestId, Timestamp, WireModel
from .errors import ErrorCode

AgentStatus = Literal["connected", "stale", "disconnected"]


class ErrorMessage(WireModel):
    """Answer to input that could not be accepted. Nothing it rejected reached any state."""

    type: Literal["error"]
    code: ErrorCode
    message: str = Field(max_length=1000)
    rejected: str = Field(default="", max_length=300, description="Start of the bad input")
    request_id: RequestId | None = None
    agent_id: AgentId | None = None


class AgentInfo(WireModel):
    agent_id: AgentId
    status: AgentStatus
    account_login: int | None = None
    server: str | None = None
    company: str | None = None
    currency: str | None = None
    ea_version: str | None = None
    last_seen: Timestamp | None = None
    connected_since: Timestamp | None = None


class AgentStatusNotice(WireModel):
    """An agent connected, went stale (no message for 3 heartbeats) or disconnected."""

    type: Literal["agent_status"]
    agent_id: AgentId
    status: AgentStatus
    reason: str = Field(default="", max_length=300)
    timestamp: Timestamp
    agent: AgentInfo | None = None


class Welcome(WireModel):
    """First message on /commands: who is there. Each live agent's snapshot follows."""

    type: Literal["welcome"]
    protocol_version: int
    gateway_version: str
    agents: list[AgentInfo]
