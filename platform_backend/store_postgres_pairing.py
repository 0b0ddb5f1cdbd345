"""Pairing codes and gateway tokens on PostgreSQL (`pairing_store.PairingStorage`), on
the pool of the node's `PostgresStore` (tables from its migration 3). Same rules as the
SQLite `PairingStore`: codes are single use and burn after `max_failures` wrong tries
sharing their selector; a redeemed code and the token it buys are written at once."""

from __future__ import annotations

from .pairing_store import (
    CODE_RETENTION_S,
    GatewayRecord,
    PairingStorage,
    PairingStore,
    TokenState,
)
from .store import Store
from .store_postgres import PostgresStore


def pairing_storage_for(store: Store) -> PairingStorage:
    """Pairing codes and gateway tokens live in the same database as everything else."""
    if isinstance(store, PostgresStore):
        return PostgresPairingStore(store)
    return PairingStore(store.url.target)


class PostgresPairingStore:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    async def close(self) -> None:
        """The pool belongs to the PostgresStore, which closes it."""

    async def add_code(self, code_hash: str, selector: str, user_id: str, now: float,
                       expires_at: float) -> None:
        async with self._store.connection() as con, con.transaction():
            await con.execute("DELETE FROM pairing_codes WHERE expires_at < $1",
                              now - CODE_RETENTION_S)
            await con.execute("INSERT INTO pairing_codes (code_hash, selector, user_id, "
                              "created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                              code_hash, selector, user_id, now, expires_at)

    async def redeem_code(self, code_hash: str, selector: str, now: float, max_failures: int,
                          token_id: str, name: str, machine: str) -> str | None:
        async with self._store.connection() as con, con.transaction():
            # The row lock makes two redeems of one code take turns: one wins.
            user_id = await con.fetchval(
                "UPDATE pairing_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS "
                "NULL AND expires_at > $2 AND failures < $3 RETURNING user_id",
                code_hash, now, max_failures)
            if user_id is None:
                await con.execute(
                    "UPDATE pairing_codes SET failures = failures + 1 WHERE selector = $1 "
                    "AND code_hash <> $2 AND used_at IS NULL AND expires_at > $3",
                    selector, code_hash, now)
                return None
            await con.execute("INSERT INTO gateway_tokens (token_id, user_id, name, machine, "
                              "linked_at) VALUES ($1, $2, $3, $4, $5)",
                              token_id, user_id, name, machine, now)
            return str(user_id)

    async def add_gateway_token(self, token_id: str, user_id: str, name: str, machine: str,
                                now: float) -> None:
        async with self._store.connection() as con:
            await con.execute("INSERT INTO gateway_tokens (token_id, user_id, name, machine, "
                              "linked_at) VALUES ($1, $2, $3, $4, $5)",
                              token_id, user_id, name, machine, now)

    async def token_state(self, token_id: str) -> TokenState | None:
        async with self._store.connection() as con:
            row = await con.fetchrow("SELECT user_id, revoked_at FROM gateway_tokens "
                                     "WHERE token_id = $1", token_id)
        if row is None:
            return None
        return TokenState(user_id=str(row[0]), revoked=row[1] is not None)

    async def revoke(self, user_id: str, token_id: str, now: float) -> bool:
        async with self._store.connection() as con:
            done = await con.fetchval(
                "UPDATE gateway_tokens SET revoked_at = $1, online = FALSE WHERE token_id = $2 "
                "AND user_id = $3 AND revoked_at IS NULL RETURNING 1", now, token_id, user_id)
        return done is not None

    async def gateways_of(self, user_id: str) -> list[GatewayRecord]:
        async with self._store.connection() as con:
            rows = await con.fetch(
                "SELECT token_id, name, machine, linked_at, gateway_id, version, online, "
                "last_seen FROM gateway_tokens WHERE user_id = $1 AND revoked_at IS NULL "
                "ORDER BY linked_at, token_id", user_id)
        return [GatewayRecord(token_id=str(r[0]), name=str(r[1]), machine=str(r[2]),
                              linked_at=float(r[3]), gateway_id=r[4], version=r[5],
                              online=bool(r[6]), last_seen=r[7]) for r in rows]

    async def link_opened(self, token_id: str, gateway_id: str, version: str | None,
                          node_id: str, now: float) -> None:
        async with self._store.connection() as con:
            await con.execute("UPDATE gateway_tokens SET gateway_id = $1, version = $2, "
                              "node_id = $3, online = TRUE, last_seen = $4 WHERE token_id = $5",
                              gateway_id, version, node_id, now, token_id)

    async def link_closed(self, token_id: str, node_id: str, now: float) -> None:
        async with self._store.connection() as con:
            await con.execute("UPDATE gateway_tokens SET online = FALSE, last_seen = $1 "
                              "WHERE token_id = $2 AND node_id = $3", now, token_id, node_id)

    async def release_node(self, node_id: str) -> None:
        async with self._store.connection() as con:
            await con.execute("UPDATE gateway_tokens SET online = FALSE WHERE node_id = $1 "
                              "AND online", node_id)
