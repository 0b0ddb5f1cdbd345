// Orders whose outcome is not known yet survive a reload of the tab (sessionStorage), so the
// trader can still retry them with the same request_id and never trade twice.

import { isRequestId } from "../protocol";
import type { CommandRequest, Mt4State, OrderRecord } from "./mt4.store";

export const ORDERS_KEY = "mt4.unsettledOrders";
const RELOADED = "the page was reloaded before the answer came";

function readRecord(v: unknown): OrderRecord | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const r = o.request as Record<string, unknown> | undefined;
  if (typeof r !== "object" || r === null) return null;
  const { agent_id, command, request_id, data } = r;
  if (typeof agent_id !== "string" || typeof command !== "string" || typeof request_id !== "string" || !isRequestId(request_id)) return null;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  if (typeof o.summary !== "string" || typeof o.attempts !== "number" || typeof o.sentAt !== "number") return null;
  const request: CommandRequest = { agent_id, command, request_id, data: data as Record<string, unknown> };
  return { request, summary: o.summary.slice(0, 200), state: "lost", attempts: o.attempts, sentAt: o.sentAt, reply: null, lostReason: RELOADED };
}

/** The unsettled orders a previous page of this tab left, all marked lost. */
export function restoreOrders(text: string | null): Pick<Mt4State, "orders" | "orderLog"> {
  const empty = { orders: {}, orderLog: [] };
  if (text === null) return empty;
  try {
    const list: unknown = JSON.parse(text);
    if (!Array.isArray(list)) return empty;
    const orders: Record<string, OrderRecord> = {};
    const orderLog: string[] = [];
    for (const item of list.slice(0, 50)) {
      const rec = readRecord(item);
      if (rec === null || orders[rec.request.request_id]) continue;
      orders[rec.request.request_id] = rec;
      orderLog.push(rec.request.request_id);
    }
    return { orders, orderLog };
  } catch {
    return empty;
  }
}

export function unsettledJson(state: Pick<Mt4State, "orders" | "orderLog">): string {
  const keep = state.orderLog
    .map((id) => state.orders[id])
    .filter((o): o is OrderRecord => o !== undefined && (o.state === "in_flight" || o.state === "lost"))
    .map((o) => ({ request: o.request, summary: o.summary, attempts: o.attempts, sentAt: o.sentAt }));
  return JSON.stringify(keep);
}

export function loadOrders(): Pick<Mt4State, "orders" | "orderLog"> {
  try {
    return restoreOrders(sessionStorage.getItem(ORDERS_KEY));
  } catch {
    return { orders: {}, orderLog: [] };
  }
}

export function saveOrders(state: Pick<Mt4State, "orders" | "orderLog">): void {
  try {
    const json = unsettledJson(state);
    if (json === "[]") sessionStorage.removeItem(ORDERS_KEY);
    else sessionStorage.setItem(ORDERS_KEY, json);
  } catch {
    // storage full or disabled: the orders live as long as the page
  }
}
