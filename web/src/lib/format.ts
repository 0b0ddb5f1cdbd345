// Numbers, ages and command outcomes in words a trader reads at a glance.

import type { Reply } from "../protocol";
import type { OrderRecord } from "../stores/mt4.store";

const moneyFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatMoney(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  // -0.00 reads as a loss that is not there
  const r = Math.round(v * 100) / 100;
  return moneyFmt.format(r === 0 ? 0 : r);
}

export function formatSigned(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const s = formatMoney(v);
  return v > 0 && s !== "0.00" ? `+${s}` : s;
}

/** Digits of a price when the symbol's rules are unknown: as many as the value shows, 2..5. */
export function guessDigits(v: number): number {
  const text = String(v);
  const dot = text.indexOf(".");
  const shown = dot < 0 ? 0 : text.length - dot - 1;
  return Math.min(5, Math.max(2, shown));
}

export function formatPrice(v: number | null | undefined, digits?: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return v.toFixed(digits ?? guessDigits(v));
}

/** S/L and T/P: 0 means "not set". */
export function formatStop(v: number, digits?: number): string {
  return v > 0 ? formatPrice(v, digits) : "—";
}

export function formatLots(v: number): string {
  return Math.round(v * 100) / 100 === v ? v.toFixed(2) : String(v);
}

export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v === 0) return "—";
  return `${moneyFmt.format(Math.round(v * 100) / 100)} %`;
}

export function formatAge(ms: number | null): string {
  if (ms === null) return "never";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s ago`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min ago`;
}

export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/** Month-day and time (UTC), short enough for a table cell. */
export function formatShortTime(iso: string | null): string {
  const full = formatTime(iso);
  return full === "—" ? full : full.slice(5);
}

export type Sign = "pos" | "neg" | "zero";

export function signOf(v: number | null | undefined): Sign {
  if (v === null || v === undefined || !Number.isFinite(v) || Math.round(v * 100) === 0) return "zero";
  return v > 0 ? "pos" : "neg";
}

export function typeLabel(type: string): string {
  return type.replace("_", " ").toUpperCase();
}

export const RISK_GUARD_CODES: ReadonlySet<string> = new Set([
  "remote_trading_disabled",
  "max_lots_exceeded",
  "symbol_not_allowed",
]);

const BACKEND_CODES: Readonly<Record<string, string>> = {
  unknown_agent: "This terminal is not one of yours or no longer exists.",
  agent_offline: "The gateway carrying this terminal is not connected to the platform.",
  timeout: "No answer from the terminal in time. Retry to learn the outcome: the same request is never executed twice.",
  command_expired: "The order expired before the terminal could run it: it was not executed.",
  duplicate_request: "This request id was already used for a different order.",
};

export function isRiskGuardRefusal(reply: Reply | null): boolean {
  return reply !== null && !reply.success && reply.error !== null && RISK_GUARD_CODES.has(reply.error.code);
}

function num(d: Record<string, unknown> | null, k: string): number | null {
  const v = d?.[k];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** What happened to a command, in words. */
export function describeOutcome(order: OrderRecord): string {
  if (order.state === "in_flight") return order.attempts > 1 ? `Sending again (attempt ${order.attempts})…` : "Sending to the terminal…";
  if (order.state === "lost") return `No reply: ${order.lostReason}. The outcome is unknown; retry to find out (the order is never executed twice).`;
  const reply = order.reply;
  if (reply === null) return "";
  if (!reply.success) {
    const e = reply.error;
    if (e === null) return "Failed.";
    if (RISK_GUARD_CODES.has(e.code)) return `Refused by the gateway's risk guard: ${e.message}`;
    const words = BACKEND_CODES[e.code] ?? e.message;
    return e.mt4_error !== null ? `${words} (MT4 error ${e.mt4_error})` : words;
  }
  const d = reply.data;
  const ticket = num(d, "ticket");
  switch (reply.command) {
    case "execute_trade": {
      const price = num(d, "open_price");
      const pending = typeof order.request.data.type === "string" && order.request.data.type.includes("_");
      return `${pending ? "Placed" : "Filled"} #${ticket ?? "?"}${price !== null ? ` at ${formatPrice(price)}` : ""}`;
    }
    case "close_position": {
      const newTicket = num(d, "new_ticket");
      const price = num(d, "close_price");
      const at = price !== null ? ` at ${formatPrice(price)}` : "";
      if (newTicket !== null) return `Closed ${num(d, "closed_lots") ?? "part"} lots of #${ticket ?? "?"}${at}; the rest is #${newTicket}`;
      return `Closed #${ticket ?? "?"}${at}`;
    }
    case "close_all": {
      const closed = Array.isArray(d?.closed) ? d.closed.length : 0;
      const failed = Array.isArray(d?.failed) ? d.failed.length : 0;
      return failed > 0 ? `Closed ${closed} position(s); ${failed} could not be closed` : `Closed ${closed} position(s)`;
    }
    case "modify_position":
      return `Modified #${ticket ?? "?"}`;
    case "delete_order":
      return `Deleted order #${ticket ?? "?"}`;
    default:
      return "Done";
  }
}
