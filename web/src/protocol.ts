// Shapes of what the backend sends on Socket.IO namespace /mt4 (gateway_core/protocol),
// and checks that turn an unknown value into one of them or a reason it is not one.
// Hand-written rather than a schema library: the panel must stay small, and every check
// here mirrors a pydantic model on the Python side.

export type PositionSide = "buy" | "sell";
export type PendingType = "buy_limit" | "sell_limit" | "buy_stop" | "sell_stop";
export type OrderType = PositionSide | PendingType;
export const PENDING_TYPES: readonly PendingType[] = ["buy_limit", "sell_limit", "buy_stop", "sell_stop"];
export const ORDER_TYPES: readonly OrderType[] = ["buy", "sell", ...PENDING_TYPES];
export type AgentStatus = "connected" | "stale" | "disconnected";

export interface Account {
  balance: number;
  equity: number;
  margin: number;
  margin_free: number;
  margin_level: number;
  profit: number | null;
  credit: number | null;
}

export interface Position {
  ticket: number;
  symbol: string;
  type: PositionSide;
  lots: number;
  open_price: number;
  stop_loss: number;
  take_profit: number;
  magic_number: number;
  comment: string;
  open_time: string | null;
  current_price: number | null;
  profit: number | null;
  swap: number | null;
  commission: number | null;
}

export interface PendingOrder {
  ticket: number;
  symbol: string;
  type: PendingType;
  lots: number;
  price: number;
  stop_loss: number;
  take_profit: number;
  expiration: string | null;
  magic_number: number;
  comment: string;
  open_time: string | null;
}

export interface PositionTick {
  ticket: number;
  current_price: number;
  profit: number;
  swap: number;
  commission: number | null;
}

export interface SymbolInfo {
  symbol: string;
  digits: number;
  point: number;
  min_lot: number;
  max_lot: number;
  lot_step: number;
  stops_level: number;
  freeze_level: number;
  trade_allowed: boolean;
  description: string | null;
}

export interface Quote {
  symbol: string;
  bid: number;
  ask: number;
}

export interface AgentInfo {
  account_login?: number;
  account_name?: string;
  server?: string;
  company?: string;
  currency?: string;
  leverage?: number;
  ea_version?: string;
  heartbeat_interval_ms?: number;
  last_seen?: string;
  connected_since?: string;
}

export interface ErrorInfo {
  code: string;
  message: string;
  mt4_error: number | null;
}

/** A reply to one command: `trade_executed`, `command_result` or `error`. */
export interface Reply {
  type: "trade_executed" | "command_result" | "error";
  request_id: string;
  success: boolean;
  error: ErrorInfo | null;
  command: string | null;
  data: Record<string, unknown> | null;
}

export type MT4Event =
  | { type: "snapshot"; agent_id: string; data: { account: Account; positions: Position[]; pending_orders: PendingOrder[] } }
  | { type: "position_opened" | "order_triggered"; agent_id: string; data: Position }
  | { type: "position_closed"; agent_id: string; data: { ticket: number; net_profit: number } }
  | { type: "position_modified"; agent_id: string; data: { ticket: number; stop_loss: number; take_profit: number } }
  | { type: "position_partially_closed"; agent_id: string; data: { ticket: number; new_ticket: number; remaining_lots: number } }
  | { type: "positions_update"; agent_id: string; data: { positions: PositionTick[] } }
  | { type: "account_update"; agent_id: string; data: Account }
  | { type: "order_placed"; agent_id: string; data: PendingOrder }
  | { type: "order_modified"; agent_id: string; data: { ticket: number; price: number; stop_loss: number; take_profit: number; expiration: string | null } }
  | { type: "order_deleted"; agent_id: string; data: { ticket: number } }
  | { type: "hello"; agent_id: string; data: AgentInfo }
  | { type: "agent_status"; agent_id: string; status: AgentStatus; reason: string; agent: AgentInfo | null }
  | { type: "heartbeat"; agent_id: string; timestamp: string }
  | { type: "quote"; agent_id: string; data: Quote }
  | { type: "symbol_info"; agent_id: string; data: SymbolInfo }
  | { type: "reply"; agent_id: string | null; reply: Reply };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

class Invalid extends Error {}

type Obj = Record<string, unknown>;

const AGENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const SYMBOL = /^[A-Za-z0-9._#&+-]{1,32}$/;

function obj(v: unknown, where: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Invalid(`${where} is not an object`);
  return v as Obj;
}
function num(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Invalid(`${key} is not a number`);
  return v;
}
function optNum(o: Obj, key: string, fallback: number | null): number | null {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  return num(o, key);
}
function nonNeg(o: Obj, key: string): number {
  const v = num(o, key);
  if (v < 0) throw new Invalid(`${key} is negative`);
  return v;
}
function ticket(o: Obj, key = "ticket"): number {
  const v = num(o, key);
  if (!Number.isInteger(v) || v <= 0 || v >= 2 ** 31) throw new Invalid(`${key} is not a ticket`);
  return v;
}
function lots(o: Obj, key = "lots"): number {
  const v = num(o, key);
  if (v <= 0 || v > 100_000) throw new Invalid(`${key} is not a volume`);
  return v;
}
function str(o: Obj, key: string, max: number): string {
  const v = o[key];
  if (typeof v !== "string" || v.length > max) throw new Invalid(`${key} is not a string`);
  return v;
}
function optStr(o: Obj, key: string, max: number): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  return str(o, key, max);
}
function symbol(o: Obj, key = "symbol"): string {
  const v = str(o, key, 32);
  if (!SYMBOL.test(v)) throw new Invalid(`${key} is not a symbol`);
  return v;
}
function oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[]): T {
  const v = o[key];
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new Invalid(`${key} is not one of ${allowed.join(", ")}`);
  return v as T;
}
function list(o: Obj, key: string, max = 10_000): unknown[] {
  const v = o[key] ?? [];
  if (!Array.isArray(v) || v.length > max) throw new Invalid(`${key} is not a list`);
  return v;
}

export function parseAccount(v: unknown): Account {
  const o = obj(v, "account");
  return {
    balance: num(o, "balance"),
    equity: num(o, "equity"),
    margin: num(o, "margin"),
    margin_free: num(o, "margin_free"),
    margin_level: num(o, "margin_level"),
    profit: optNum(o, "profit", null),
    credit: optNum(o, "credit", null),
  };
}

export function parsePosition(v: unknown): Position {
  const o = obj(v, "position");
  return {
    ticket: ticket(o),
    symbol: symbol(o),
    type: oneOf(o, "type", ["buy", "sell"] as const),
    lots: lots(o),
    open_price: nonNeg(o, "open_price"),
    stop_loss: optNum(o, "stop_loss", 0) ?? 0,
    take_profit: optNum(o, "take_profit", 0) ?? 0,
    magic_number: optNum(o, "magic_number", 0) ?? 0,
    comment: optStr(o, "comment", 64) ?? "",
    open_time: optStr(o, "open_time", 64),
    current_price: optNum(o, "current_price", null),
    profit: optNum(o, "profit", null),
    swap: optNum(o, "swap", null),
    commission: optNum(o, "commission", null),
  };
}

export function parsePending(v: unknown): PendingOrder {
  const o = obj(v, "pending order");
  return {
    ticket: ticket(o),
    symbol: symbol(o),
    type: oneOf(o, "type", PENDING_TYPES),
    lots: lots(o),
    price: nonNeg(o, "price"),
    stop_loss: optNum(o, "stop_loss", 0) ?? 0,
    take_profit: optNum(o, "take_profit", 0) ?? 0,
    expiration: optStr(o, "expiration", 64),
    magic_number: optNum(o, "magic_number", 0) ?? 0,
    comment: optStr(o, "comment", 64) ?? "",
    open_time: optStr(o, "open_time", 64),
  };
}

function parseTick(v: unknown): PositionTick {
  const o = obj(v, "position tick");
  return {
    ticket: ticket(o),
    current_price: nonNeg(o, "current_price"),
    profit: num(o, "profit"),
    swap: optNum(o, "swap", 0) ?? 0,
    commission: optNum(o, "commission", null),
  };
}

function parseInfo(v: unknown): AgentInfo {
  const o = obj(v, "agent info");
  const info: AgentInfo = {};
  const n = (k: "account_login" | "leverage" | "heartbeat_interval_ms") => {
    const x = optNum(o, k, null);
    if (x !== null) info[k] = x;
  };
  const s = (k: "account_name" | "server" | "company" | "currency" | "ea_version" | "last_seen" | "connected_since") => {
    const x = optStr(o, k, 128);
    if (x !== null) info[k] = x;
  };
  n("account_login");
  n("leverage");
  n("heartbeat_interval_ms");
  s("account_name");
  s("server");
  s("company");
  s("currency");
  s("ea_version");
  s("last_seen");
  s("connected_since");
  return info;
}

export function parseReply(v: unknown): Reply {
  const o = obj(v, "reply");
  const type = oneOf(o, "type", ["trade_executed", "command_result", "error"] as const);
  const rid = str(o, "request_id", 64);
  if (!REQUEST_ID.test(rid)) throw new Invalid("request_id is malformed");
  if (type === "error") {
    return {
      type,
      request_id: rid,
      success: false,
      error: { code: str(o, "code", 64), message: str(o, "message", 1000), mt4_error: null },
      command: null,
      data: null,
    };
  }
  const success = o.success;
  if (typeof success !== "boolean") throw new Invalid("success is not a boolean");
  let error: ErrorInfo | null = null;
  if (o.error !== undefined && o.error !== null) {
    const e = obj(o.error, "error");
    error = { code: str(e, "code", 64), message: str(e, "message", 500), mt4_error: optNum(e, "mt4_error", null) };
  }
  if (!success && error === null) throw new Invalid("a failed reply carries no error");
  const data = o.data === undefined || o.data === null ? null : obj(o.data, "data");
  const command = type === "command_result" ? str(o, "command", 32) : "execute_trade";
  return { type, request_id: rid, success, error, command, data };
}

function parseInner(raw: unknown): MT4Event {
  const o = obj(raw, "event");
  const type = o.type;
  if (typeof type !== "string") throw new Invalid("event has no type");
  if (type === "trade_executed" || type === "command_result" || type === "error") {
    const agent = typeof o.agent_id === "string" && AGENT_ID.test(o.agent_id) ? o.agent_id : null;
    return { type: "reply", agent_id: agent, reply: parseReply(raw) };
  }
  const agentId = str(o, "agent_id", 64);
  if (!AGENT_ID.test(agentId)) throw new Invalid("agent_id is malformed");
  const data = () => obj(o.data, "data");
  switch (type) {
    case "snapshot": {
      const d = data();
      return {
        type,
        agent_id: agentId,
        data: {
          account: parseAccount(d.account),
          positions: list(d, "positions").map(parsePosition),
          pending_orders: list(d, "pending_orders").map(parsePending),
        },
      };
    }
    case "position_opened":
    case "order_triggered":
      return { type, agent_id: agentId, data: parsePosition(o.data) };
    case "position_closed": {
      const d = data();
      return { type, agent_id: agentId, data: { ticket: ticket(d), net_profit: num(d, "net_profit") } };
    }
    case "position_modified": {
      const d = data();
      return { type, agent_id: agentId, data: { ticket: ticket(d), stop_loss: nonNeg(d, "stop_loss"), take_profit: nonNeg(d, "take_profit") } };
    }
    case "position_partially_closed": {
      const d = data();
      const t = ticket(d);
      const nt = ticket(d, "new_ticket");
      if (t === nt) throw new Invalid("new_ticket equals ticket");
      return { type, agent_id: agentId, data: { ticket: t, new_ticket: nt, remaining_lots: lots(d, "remaining_lots") } };
    }
    case "positions_update":
      return { type, agent_id: agentId, data: { positions: list(data(), "positions").map(parseTick) } };
    case "account_update":
      return { type, agent_id: agentId, data: parseAccount(o.data) };
    case "order_placed":
      return { type, agent_id: agentId, data: parsePending(o.data) };
    case "order_modified": {
      const d = data();
      return {
        type,
        agent_id: agentId,
        data: {
          ticket: ticket(d),
          price: nonNeg(d, "price"),
          stop_loss: nonNeg(d, "stop_loss"),
          take_profit: nonNeg(d, "take_profit"),
          expiration: optStr(d, "expiration", 64),
        },
      };
    }
    case "order_deleted":
      return { type, agent_id: agentId, data: { ticket: ticket(data()) } };
    case "hello":
      return { type, agent_id: agentId, data: parseInfo(o.data) };
    case "agent_status":
      return {
        type,
        agent_id: agentId,
        status: oneOf(o, "status", ["connected", "stale", "disconnected"] as const),
        reason: optStr(o, "reason", 300) ?? "",
        agent: o.agent === undefined || o.agent === null ? null : parseInfo(o.agent),
      };
    case "heartbeat":
      return { type, agent_id: agentId, timestamp: optStr(o, "timestamp", 64) ?? "" };
    case "quote": {
      const d = data();
      return { type, agent_id: agentId, data: { symbol: symbol(d), bid: nonNeg(d, "bid"), ask: nonNeg(d, "ask") } };
    }
    case "symbol_info": {
      const d = data();
      const point = num(d, "point");
      const digits = num(d, "digits");
      if (point <= 0 || !Number.isInteger(digits) || digits < 0 || digits > 10) throw new Invalid("bad point or digits");
      return {
        type,
        agent_id: agentId,
        data: {
          symbol: symbol(d),
          digits,
          point,
          min_lot: lots(d, "min_lot"),
          max_lot: lots(d, "max_lot"),
          lot_step: lots(d, "lot_step"),
          stops_level: nonNeg(d, "stops_level"),
          freeze_level: optNum(d, "freeze_level", 0) ?? 0,
          trade_allowed: d.trade_allowed !== false,
          description: optStr(d, "description", 128),
        },
      };
    }
    default:
      throw new Invalid(`unknown event type ${JSON.stringify(type.slice(0, 40))}`);
  }
}

/** An `mt4_event` (or `mt4_reply`) payload as a typed event, or why it is not one. */
export function parseEvent(raw: unknown): Parsed<MT4Event> {
  try {
    return { ok: true, value: parseInner(raw) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    return { ok: false, reason: "unreadable event" };
  }
}

export function isRequestId(v: string): boolean {
  return REQUEST_ID.test(v);
}
