"""The wire between a gateway and the platform backend (`ws(s)://HOST/mt4`).

JSON text frames, one message per frame, discriminated on `type`. The gateway
authenticates with the trader's platform JWT in `Authorization: Bearer` on the handshake.

gateway -> backend
  hello   `{"type":"hello","link_version":1,"gateway_id":..,"gateway_version":..,"last_seq":N}`
          first frame on every connection.
  event   `{"type":"event","seq":N,"agent_id":..,"event":{..}}` one outbox item: an EA event,
          a reply to a platform command, an `agent_status` notice or an `error` about a
          platform command. `seq` counts up by one per gateway, across restarts.
  batch   `{"type":"batch","events":[event, ...]}` several items in one frame, in order.

backend -> gateway
  welcome `{"type":"welcome","link_version":1,"user_id":..,"acked_seq":N}` the highest seq
          the backend has stored for this gateway; the gateway resends everything after it.
  ack     `{"type":"ack","seq":N}` everything up to N is stored; the gateway may prune it.
  command `{"type":"command","agent_id":..,"command":{spec command with request_id and
          expires_at}}` exactly one `event` carrying the reply (same request_id) comes back.

Inbound models (what each side parses from the other) forbid unknown keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .common import AgentId

LINK_VERSION = 1
"""Bumped on any change to this module that an older peer could misread."""

GatewayId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Seq = Annotated[int, Field(ge=0, lt=2**63)]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- gateway -> backend ---------------------------------------------------------------


class LinkHello(_Inbound):
    type: Literal["hello"]
    link_version: int = Field(ge=1)
    gateway_id: GatewayId
    gateway_version: str = Field(max_length=32)
    last_seq: Seq = Field(description="Highest seq this gateway has assigned so far")


class LinkEvent(_Inbound):
    type: Literal["event"]
    seq: Seq = Field(gt=0)
    agent_id: AgentId
    event: dict[str, Any] = Field(
        description="An EA event, a reply, an agent_status notice or an error, as on /commands"
    )


class LinkBatch(_Inbound):
    type: Literal["batch"]
    events: list[LinkEvent] = Field(min_length=1, max_length=10_000)


GatewayFrame: TypeAlias = Annotated[LinkHello | LinkEvent | LinkBatch, Field(discriminator="type")]


# -- backend -> gateway ---------------------------------------------------------------


class LinkWelcome(_Inbound):
    type: Literal["welcome"]
    link_version: int = Field(ge=1)
    user_id: str = Field(max_length=64)
    acked_seq: Seq


class LinkAck(_Inbound):
    type: Literal["ack"]
    seq: Seq


class LinkCommand(_Inbound):
    type: Literal["command"]
    agent_id: AgentId
    command: dict[str, Any] = Field(
        description="A spec command (gateway_core.protocol.commands) with request_id and "
        "expires_at; validated by the gateway, which answers a bad one with an error event"
    )

    @model_validator(mode="after")
    def _has_request_id(self) -> LinkCommand:
        rid = self.command.get("request_id")
        if not isinstance(rid, str) or not rid:
            raise ValueError("command.request_id is required")
        return self


BackendFrame: TypeAlias = Annotated[
    LinkWelcome | LinkAck | LinkCommand, Field(discriminator="type")
]

GATEWAY_FRAME: TypeAdapter[GatewayFrame] = TypeAdapter(GatewayFrame)
BACKEND_FRAME: TypeAdapter[BackendFrame] = TypeAdapter(BackendFrame)


class LinkProtocolError(Exception):
    """A frame the peer should not have sent; the message is safe to log."""


def _explain(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(frame)'}: {e['msg']}" for e in errors[:3]
    )


def parse_backend_frame(raw: str | bytes) -> BackendFrame:
    try:
        return BACKEND_FRAME.validate_json(raw)
    except ValidationError as exc:
        raise LinkProtocolError(f"bad frame from the backend: {_explain(exc)}") from None


def parse_gateway_frame(raw: str | bytes) -> GatewayFrame:
    try:
        return GATEWAY_FRAME.validate_json(raw)
    except ValidationError as exc:
        raise LinkProtocolError(f"bad frame from the gateway: {_explain(exc)}") from None


# -- encoding (hot path: plain string building around already-serialized events) -------


def encode_event(seq: int, agent_id: str, event_json: str) -> str:
    """One `event` frame around an event that is already JSON (validated upstream).
    Agent ids match `[A-Za-z0-9_.-]+` (validated at the gateway's door): no escaping needed."""
    return f'{{"type":"event","seq":{seq},"agent_id":"{agent_id}","event":{event_json}}}'


def encode_batch(frames: list[str]) -> str:
    """Several `event` frames (from `encode_event`) as one `batch` frame."""
    if len(frames) == 1:
        return frames[0]
    return '{"type":"batch","events":[' + ",".join(frames) + "]}"


def encode_hello(gateway_id: str, gateway_version: str, last_seq: int) -> str:
    return LinkHello(
        type="hello",
        link_version=LINK_VERSION,
        gateway_id=gateway_id,
        gateway_version=gateway_version,
        last_seq=last_seq,
    ).model_dump_json()


def encode_ack(seq: int) -> str:
    return f'{{"type":"ack","seq":{seq}}}'
