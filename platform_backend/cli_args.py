"""Argument types of `platform-backend`: one clear sentence for each mistake."""

from __future__ import annotations

import argparse

from .store_url import StoreUrl, parse_store_url


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:  # also refuses NaN
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def store_url(text: str) -> StoreUrl:
    try:
        return parse_store_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
