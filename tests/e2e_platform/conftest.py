from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_servers import PgServer, pg_session, redis_session


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    yield from redis_session(tmp_path)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    yield from pg_session()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`--db` for every backend node of the test: a fresh SQLite file, or a fresh
    PostgreSQL database (the whole platform suite runs on both stores)."""
    if request.param == "sqlite":
        return str(tmp_path / "platform.sqlite3")
    pg: PgServer = request.getfixturevalue("pg")
    return pg.create_database()
