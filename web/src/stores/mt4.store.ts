// The panel's picture of the user's terminals, folded from `mt4_event`s.
// Every change is a pure function (state, input, now) -> state so it can be tested
// without a socket; the Zustand store at the bottom only holds the result.

import { create } from "zustand";
import {
  parseEvent,
  parseReply,
  type Account,
  type AgentInfo,
  type AgentStatus,
  type MT4Event,
  type PendingOrder,
  type Position,
  type Quote,
  type Reply,
  type SymbolInfo,
} from "../protocol";
import { loadOrders, saveOrders } from "./orderMemory";

export const EQUITY_POINTS = 600;
const GATEWAY_OFFLINE_PREFIX = "the gateway is not connected";

export interface EquityPoint {
  t: number;
  v: number;
}

export interface TerminalState {
  agentId: string;
  status: AgentStatus;
  statusReason: string;
  /** False when the backend says the gateway carrying this terminal is not linked. */
  gatewayOnline: boolean;
  info: AgentInfo;
  account: Account | null;
  positions: Readonly<Record<number, Position>>;
  pending: Readonly<Record<number, PendingOrder>>;
  /** Page clock (ms) when the last heartbeat arrived: the browser's, not the terminal's. */
  lastHeartbeatAt: number | null;
  symbols: Readonly<Record<string, SymbolInfo>>;
  quotes: Readonly<Record<string, Quote>>;
  equity: readonly EquityPoint[];
}

export type LinkState =
  | { state: "connecting"; reason: string }
  | { state: "live"; reason: string }
  | { state: "reconnecting"; reason: string }
  | { state: "signed_out"; reason: string };

export type OrderState = "in_flight" | "done" | "failed" | "lost";

export interface CommandRequest {
  agent_id: string;
  command: string;
  request_id: string;
  data: Record<string, unknown>;
}

export interface OrderRecord {
  request: CommandRequest;
  summary: string;
  state: OrderState;
  attempts: number;
  sentAt: number;
  reply: Reply | null;
  /** Why the reply was lost (socket dropped, no answer in time). */
  lostReason: string;
}

export interface Mt4State {
  terminals: Readonly<Record<string, TerminalState>>;
  link: LinkState;
  orders: Readonly<Record<string, OrderRecord>>;
  /** Newest first; bounded. */
  orderLog: readonly string[];
  rejected: { count: number; last: string };
  /** While rebuilding after a (re)connect: the agents the backend has mentioned so far. */
  resync: { seen: readonly string[]; snapshots: readonly string[] } | null;
}

export const initialState: Mt4State = {
  terminals: {},
  link: { state: "connecting", reason: "" },
  orders: {},
  orderLog: [],
  rejected: { count: 0, last: "" },
  resync: null,
};

export function emptyTerminal(agentId: string): TerminalState {
  return {
    agentId,
    status: "disconnected",
    statusReason: "",
    gatewayOnline: true,
    info: {},
    account: null,
    positions: {},
    pending: {},
    lastHeartbeatAt: null,
    symbols: {},
    quotes: {},
    equity: [],
  };
}

function byTicket<T extends { ticket: number }>(rows: readonly T[]): Record<number, T> {
  const out: Record<number, T> = {};
  for (const r of rows) out[r.ticket] = r;
  return out;
}

function without<T>(rows: Readonly<Record<number, T>>, ticket: number): Readonly<Record<number, T>> {
  if (!(ticket in rows)) return rows;
  const copy = { ...rows };
  delete copy[ticket];
  return copy;
}

function withEquity(t: TerminalState, account: Account, now: number): readonly EquityPoint[] {
  const last = t.equity[t.equity.length - 1];
  if (last && last.v === account.equity && now - last.t < 60_000) return t.equity;
  const next = [...t.equity, { t: now, v: account.equity }];
  return next.length > EQUITY_POINTS ? next.slice(next.length - EQUITY_POINTS) : next;
}

function markSeen(state: Mt4State, agentId: string, snapshot: boolean): Mt4State["resync"] {
  const r = state.resync;
  if (r === null) return null;
  const seen = r.seen.includes(agentId) ? r.seen : [...r.seen, agentId];
  const snapshots = snapshot && !r.snapshots.includes(agentId) ? [...r.snapshots, agentId] : r.snapshots;
  return seen === r.seen && snapshots === r.snapshots ? r : { seen, snapshots };
}

function applyToTerminal(t: TerminalState, ev: Exclude<MT4Event, { type: "reply" }>, now: number): TerminalState {
  switch (ev.type) {
    case "snapshot": {
      const d = ev.data;
      return {
        ...t,
        account: d.account,
        positions: byTicket(d.positions),
        pending: byTicket(d.pending_orders),
        status: t.status === "disconnected" && t.gatewayOnline ? "connected" : t.status,
        equity: withEquity(t, d.account, now),
      };
    }
    case "position_opened":
    case "order_triggered":
      return {
        ...t,
        pending: without(t.pending, ev.data.ticket),
        positions: { ...t.positions, [ev.data.ticket]: ev.data },
      };
    case "position_closed":
      return { ...t, positions: without(t.positions, ev.data.ticket) };
    case "position_partially_closed": {
      const old = t.positions[ev.data.ticket];
      if (!old) return t;
      const rest = without(t.positions, ev.data.ticket);
      const moved: Position = { ...old, ticket: ev.data.new_ticket, lots: ev.data.remaining_lots, comment: `from #${ev.data.ticket}` };
      return { ...t, positions: { ...rest, [moved.ticket]: moved } };
    }
    case "position_modified": {
      const p = t.positions[ev.data.ticket];
      if (!p) return t;
      return { ...t, positions: { ...t.positions, [p.ticket]: { ...p, stop_loss: ev.data.stop_loss, take_profit: ev.data.take_profit } } };
    }
    case "positions_update": {
      let positions: Record<number, Position> | null = null;
      for (const tick of ev.data.positions) {
        const p = (positions ?? t.positions)[tick.ticket];
        if (!p) continue;
        if (p.current_price === tick.current_price && p.profit === tick.profit && p.swap === tick.swap) continue;
        positions ??= { ...t.positions };
        positions[tick.ticket] = {
          ...p,
          current_price: tick.current_price,
          profit: tick.profit,
          swap: tick.swap,
          commission: tick.commission ?? p.commission,
        };
      }
      return positions === null ? t : { ...t, positions };
    }
    case "account_update":
      return { ...t, account: ev.data, equity: withEquity(t, ev.data, now) };
    case "order_placed":
      return { ...t, pending: { ...t.pending, [ev.data.ticket]: ev.data } };
    case "order_modified": {
      const o = t.pending[ev.data.ticket];
      if (!o) return t;
      const { price, stop_loss, take_profit, expiration } = ev.data;
      return { ...t, pending: { ...t.pending, [o.ticket]: { ...o, price, stop_loss, take_profit, expiration } } };
    }
    case "order_deleted":
      return { ...t, pending: without(t.pending, ev.data.ticket) };
    case "hello":
      return { ...t, info: { ...t.info, ...ev.data }, status: "connected", gatewayOnline: true, statusReason: "" };
    case "agent_status": {
      const gatewayOnline = !(ev.status === "disconnected" && ev.reason.startsWith(GATEWAY_OFFLINE_PREFIX));
      return {
        ...t,
        status: ev.status,
        statusReason: ev.reason,
        gatewayOnline,
        info: ev.agent ? { ...t.info, ...ev.agent } : t.info,
      };
    }
    case "heartbeat":
      return {
        ...t,
        lastHeartbeatAt: now,
        status: t.status === "stale" ? "connected" : t.status,
        statusReason: t.status === "stale" ? "" : t.statusReason,
      };
    case "quote":
      return { ...t, quotes: { ...t.quotes, [ev.data.symbol]: ev.data } };
    case "symbol_info":
      return { ...t, symbols: { ...t.symbols, [ev.data.symbol]: ev.data } };
  }
}

export function rejectInput(state: Mt4State, reason: string, raw: unknown): Mt4State {
  let kind = "?";
  if (typeof raw === "object" && raw !== null && "type" in raw) kind = String((raw as { type: unknown }).type).slice(0, 40);
  console.warn(`mt4 panel: ignored an event (${kind}): ${reason}`);
  return { ...state, rejected: { count: state.rejected.count + 1, last: `${kind}: ${reason}` } };
}

/** Fold one raw `mt4_event` payload in. Malformed input is counted and changes nothing else. */
export function applyEvent(state: Mt4State, raw: unknown, now: number): Mt4State {
  const parsed = parseEvent(raw);
  if (!parsed.ok) return rejectInput(state, parsed.reason, raw);
  const ev = parsed.value;
  if (ev.type === "reply") return applyParsedReply(state, ev.reply, now);
  const before = state.terminals[ev.agent_id] ?? emptyTerminal(ev.agent_id);
  const after = applyToTerminal(before, ev, now);
  const seenNow = ev.type === "agent_status" || ev.type === "snapshot";
  const resync = seenNow ? markSeen(state, ev.agent_id, ev.type === "snapshot") : state.resync;
  if (after === before && state.terminals[ev.agent_id] && resync === state.resync) return state;
  return { ...state, terminals: { ...state.terminals, [ev.agent_id]: after }, resync };
}

export function applyEvents(state: Mt4State, raws: readonly unknown[], now: number): Mt4State {
  let s = state;
  for (const raw of raws) s = applyEvent(s, raw, now);
  return s;
}

/**
 * A (re)connect: the backend is about to send, per agent, `agent_status` and (when it has
 * an account) `snapshot`. Old rows stay on screen until they are replaced, so nothing
 * flickers to empty.
 */
export function beginResync(state: Mt4State): Mt4State {
  return { ...state, resync: { seen: [], snapshots: [] } };
}

/**
 * The reconnect burst is over: agents the backend no longer mentions are dropped, and agents
 * it mentioned without a snapshot lose their rows (it has no account for them).
 */
export function endResync(state: Mt4State): Mt4State {
  const r = state.resync;
  if (r === null) return state;
  const terminals: Record<string, TerminalState> = {};
  for (const [id, t] of Object.entries(state.terminals)) {
    if (!r.seen.includes(id) && !r.snapshots.includes(id)) continue;
    terminals[id] = r.snapshots.includes(id) ? t : { ...t, account: null, positions: {}, pending: {} };
  }
  return { ...state, terminals, resync: null };
}

// -- commands and their replies ------------------------------------------------------------

const ORDER_LOG = 50;

export function startOrder(state: Mt4State, request: CommandRequest, summary: string, now: number): Mt4State {
  const existing = state.orders[request.request_id];
  const record: OrderRecord = existing
    ? { ...existing, state: "in_flight", attempts: existing.attempts + 1, sentAt: now, lostReason: "" }
    : { request, summary, state: "in_flight", attempts: 1, sentAt: now, reply: null, lostReason: "" };
  const orderLog = [request.request_id, ...state.orderLog.filter((id) => id !== request.request_id)];
  const dropped = orderLog.slice(ORDER_LOG);
  const orders = { ...state.orders, [request.request_id]: record };
  for (const id of dropped) if (orders[id]?.state !== "in_flight") delete orders[id];
  return { ...state, orders, orderLog: orderLog.slice(0, ORDER_LOG) };
}

function applyParsedReply(state: Mt4State, reply: Reply, _now: number): Mt4State {
  const order = state.orders[reply.request_id];
  if (!order) return state; // another tab's command, or one from before a reload
  if (order.reply !== null && order.state !== "lost" && order.state !== "in_flight") return state;
  const next: OrderRecord = { ...order, reply, state: reply.success ? "done" : "failed", lostReason: "" };
  return { ...state, orders: { ...state.orders, [reply.request_id]: next } };
}

/** A reply from the ack callback or an `mt4_reply` event, matched on request_id. */
export function applyReply(state: Mt4State, raw: unknown, now: number): Mt4State {
  let reply: Reply;
  try {
    reply = parseReply(raw);
  } catch (err) {
    return rejectInput(state, err instanceof Error ? err.message : "unreadable reply", raw);
  }
  return applyParsedReply(state, reply, now);
}

/** No reply came back (socket dropped, timed out): the outcome is unknown until a retry. */
export function loseOrder(state: Mt4State, requestId: string, reason: string): Mt4State {
  const order = state.orders[requestId];
  if (!order || order.state !== "in_flight") return state;
  return { ...state, orders: { ...state.orders, [requestId]: { ...order, state: "lost", lostReason: reason } } };
}

export function loseAllInFlight(state: Mt4State, reason: string): Mt4State {
  let s = state;
  for (const [id, o] of Object.entries(state.orders)) if (o.state === "in_flight") s = loseOrder(s, id, reason);
  return s;
}

// -- selectors -------------------------------------------------------------------------------

export function positionsOf(t: TerminalState): Position[] {
  return Object.values(t.positions);
}

export function pendingOf(t: TerminalState): PendingOrder[] {
  return Object.values(t.pending);
}

/** The sum of the profit column, so the total always equals its rows. */
export function totalProfitOf(positions: Iterable<Position>): number {
  let sum = 0;
  for (const p of positions) sum += p.profit ?? 0;
  return Math.round(sum * 100) / 100;
}

/** The account's floating P/L as the terminal reports it, else the sum of its rows. */
export function floatingOf(t: TerminalState): number {
  if (t.account?.profit !== null && t.account?.profit !== undefined) return t.account.profit;
  let sum = 0;
  for (const p of Object.values(t.positions)) sum += (p.profit ?? 0) + (p.swap ?? 0) + (p.commission ?? 0);
  return Math.round(sum * 100) / 100;
}

// -- the store -------------------------------------------------------------------------------

export interface Mt4Actions {
  ingest(raws: readonly unknown[]): void;
  ingestReply(raw: unknown): void;
  setLink(link: LinkState): void;
  beginResync(): void;
  endResync(): void;
  startOrder(request: CommandRequest, summary: string): void;
  loseOrder(requestId: string, reason: string): void;
  loseAllInFlight(reason: string): void;
  reset(): void;
}

export type Mt4Store = Mt4State & Mt4Actions;

export const useMt4Store = create<Mt4Store>()((set) => ({
  ...initialState,
  ...loadOrders(),
  ingest: (raws) => set((s) => applyEvents(s, raws, Date.now())),
  ingestReply: (raw) => set((s) => applyReply(s, raw, Date.now())),
  setLink: (link) => set({ link }),
  beginResync: () => set((s) => beginResync(s)),
  endResync: () => set((s) => endResync(s)),
  startOrder: (request, summary) => set((s) => startOrder(s, request, summary, Date.now())),
  loseOrder: (id, reason) => set((s) => loseOrder(s, id, reason)),
  loseAllInFlight: (reason) => set((s) => loseAllInFlight(s, reason)),
  reset: () => set({ ...initialState }),
}));

useMt4Store.subscribe((s, prev) => {
  if (s.orders !== prev.orders || s.orderLog !== prev.orderLog) saveOrders(s);
});
