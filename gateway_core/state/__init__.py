"""Per-agent state, kept by validated events. No I/O."""

from .agent_state import AgentState
from .registry import AgentRegistry

__all__ = ["AgentRegistry", "AgentState"]
