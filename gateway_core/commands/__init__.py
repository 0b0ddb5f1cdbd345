"""Command routing state: request ids, deadlines, duplicates. No I/O."""

from .reply_factory import failure_reply
from .tracker import CommandTracker, Decision, Expiry, Origin, Resolution

__all__ = ["CommandTracker", "Decision", "Expiry", "Origin", "Resolution", "failure_reply"]
