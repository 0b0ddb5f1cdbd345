"""All agents the gateway has seen, and their connected/stale/disconnected life cycle.

Status changes come back as `AgentStatusNotice`s for the server to broadcast; the
registry itself never sends anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..clock import Clock
from ..protocol import Event, Hello
from ..protocol.notices import AgentStatus, AgentStatusNotice
from .agent_state import AgentState

DEFAULT_HEARTBEAT_INTERVAL = 5.0
STALE_AFTER_HEARTBEATS = 3


class AgentRegistry:
    def __init__(self, clock: Clock, heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL):
        self._clock = clock
        self._default_interval = heartbeat_interval
        self._agents: dict[str, AgentState] = {}
        self._intervals: dict[str, float] = {}

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._agents

    def __iter__(self) -> Iterator[AgentState]:
        return iter(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)

    def get(self, agent_id: str) -> AgentState | None:
        return self._agents.get(agent_id)

    def active_count(self) -> int:
        return sum(1 for a in self._agents.values() if a.status != "disconnected")

    def connected(self, agent_id: str) -> AgentStatusNotice:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = AgentState(agent_id)
        agent.synced = False
        agent.connected_since = self._clock.now()
        self._touch(agent)
        return self._set(agent, "connected", "EA connected")

    def disconnected(self, agent_id: str, reason: str) -> AgentStatusNotice | None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.status == "disconnected":
            return None
        agent.connected_since = None
        return self._set(agent, "disconnected", reason)

    def received(self, agent_id: str, event: Event | None) -> AgentStatusNotice | None:
        """Record any message from the agent (replies pass `None`). Returns a notice when
        a stale agent comes back to life."""
        agent = self._agents[agent_id]
        self._touch(agent)
        if event is not None:
            if isinstance(event, Hello) and event.data.heartbeat_interval_ms:
                self._intervals[agent_id] = event.data.heartbeat_interval_ms / 1000
            agent.apply(event)
        if agent.status == "stale":
            return self._set(agent, "connected", "messages flowing again")
        return None

    def stale_after(self, agent_id: str) -> float:
        return self._intervals.get(agent_id, self._default_interval) * STALE_AFTER_HEARTBEATS

    def check_stale(self) -> list[AgentStatusNotice]:
        """Mark agents silent for 3 heartbeat intervals as stale. Call about once a second."""
        now = self._clock.monotonic()
        notices = []
        for agent in self._agents.values():
            if agent.status != "connected" or agent.last_seen is None:
                continue
            silent = now - agent.last_seen
            if silent >= self.stale_after(agent.agent_id):
                notices.append(self._set(agent, "stale", f"no message for {silent:.0f} s"))
        return notices

    def _touch(self, agent: AgentState) -> None:
        agent.last_seen = self._clock.monotonic()
        agent.last_seen_wall = self._clock.now()

    def _set(self, agent: AgentState, status: AgentStatus, reason: str) -> AgentStatusNotice:
        agent.status = status
        return AgentStatusNotice(
            type="agent_status",
            agent_id=agent.agent_id,
            status=status,
            reason=reason,
            timestamp=self._clock.now(),
            agent=agent.info(),
        )
