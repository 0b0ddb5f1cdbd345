export const TS = "2026-12-01T10:00:00Z";

export const account = (equity = 10_000, extra: Record<string, unknown> = {}) => ({
  balance: 10_000,
  equity,
  margin: 100,
  margin_free: equity - 100,
  margin_level: (equity / 100) * 100,
  profit: equity - 10_000,
  ...extra,
});

export const position = (ticket: number, extra: Record<string, unknown> = {}) => ({
  ticket,
  symbol: "EURUSD",
  type: "buy",
  lots: 0.1,
  open_price: 1.085,
  stop_loss: 0,
  take_profit: 0,
  magic_number: 0,
  comment: "",
  open_time: TS,
  current_price: 1.0855,
  profit: 5,
  swap: 0,
  ...extra,
});

export const pending = (ticket: number, extra: Record<string, unknown> = {}) => ({
  ticket,
  symbol: "EURUSD",
  type: "buy_limit",
  lots: 0.2,
  price: 1.08,
  stop_loss: 0,
  take_profit: 0,
  ...extra,
});

export const ev = (type: string, agent_id: string, data?: unknown, extra: Record<string, unknown> = {}) => ({
  type,
  timestamp: TS,
  agent_id,
  ...(data === undefined ? {} : { data }),
  ...extra,
});

export const snapshot = (agent: string, positions: unknown[], orders: unknown[] = [], acct = account()) =>
  ev("snapshot", agent, { account: acct, positions, pending_orders: orders });

export const status = (agent: string, st: string, reason = "current state", info: Record<string, unknown> | null = null) =>
  ({ type: "agent_status", agent_id: agent, status: st, reason, timestamp: TS, ...(info ? { agent: { agent_id: agent, status: st, ...info } } : {}) });

export const eurusd = {
  symbol: "EURUSD",
  digits: 5,
  point: 0.00001,
  min_lot: 0.01,
  max_lot: 50,
  lot_step: 0.01,
  stops_level: 10,
  freeze_level: 0,
  trade_allowed: true,
  description: null,
};
