"""Where settings, tokens, logs and the outbox live: the platform's user dirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mt4-companion"
APP_AUTHOR = "MT4Companion"


def config_dir() -> Path:
    override = os.environ.get("MT4_COMPANION_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    override = os.environ.get("MT4_COMPANION_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    override = os.environ.get("MT4_COMPANION_LOG_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
