"""Trading rules a client can check before it sends a command (the terminal stays the
authority: these only spare the trader a round trip for an order MT4 would refuse)."""

from .preflight import distance_to_price, stops_problem, volume_problem

__all__ = ["distance_to_price", "stops_problem", "volume_problem"]
