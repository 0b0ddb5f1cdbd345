// The trade ticket's checks against a symbol's rules (symbol_info) and the live quote,
// so an order MT4 would refuse is never sent, and the trader is told why in words.
// Mirrors gateway_core/trading/preflight.py.

import { PENDING_TYPES, type OrderType, type PendingType, type Quote, type SymbolInfo } from "../protocol";
import { formatLots, formatPrice } from "./format";

const EPS = 1e-9;
const SYMBOL = /^[A-Za-z0-9._#&+-]{1,32}$/;
export const MAX_COMMENT = 31;

export type StopMode = "price" | "points";
export type TicketField = "agent" | "symbol" | "type" | "lots" | "price" | "stopLoss" | "takeProfit" | "comment";

export interface TicketInput {
  agentId: string;
  symbol: string;
  type: OrderType;
  lots: string;
  price: string;
  stopMode: StopMode;
  stopLoss: string;
  takeProfit: string;
  comment: string;
}

export interface TradeData {
  symbol: string;
  type: OrderType;
  lots: number;
  price?: number;
  stop_loss: number;
  take_profit: number;
  comment: string;
}

export interface TicketCheck {
  errors: Partial<Record<TicketField, string>>;
  notes: string[];
  data: TradeData | null;
}

export function isPending(type: OrderType): type is PendingType {
  return (PENDING_TYPES as readonly string[]).includes(type);
}

export function isBuy(type: OrderType): boolean {
  return type.startsWith("buy");
}

/** A decimal typed by a person: "" is `empty`, anything else must be a plain finite number. */
export function parseDecimal(text: string): number | "empty" | "bad" {
  const t = text.trim().replace(",", ".");
  if (t === "") return "empty";
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return "bad";
  const v = Number(t);
  return Number.isFinite(v) ? v : "bad";
}

export function volumeProblem(info: SymbolInfo | null, lots: number): string | null {
  if (!(lots > 0)) return "Enter a volume greater than 0 lots.";
  if (lots > 100_000) return "That volume is larger than any account allows.";
  if (info === null) return null;
  if (lots < info.min_lot - EPS || lots > info.max_lot + EPS)
    return `${formatLots(lots)} lots is outside what ${info.symbol} allows (${formatLots(info.min_lot)} to ${formatLots(info.max_lot)} lots).`;
  const steps = lots / info.lot_step;
  if (Math.abs(steps - Math.round(steps)) > 1e-6) return `${formatLots(lots)} lots is not a multiple of the lot step ${info.lot_step}.`;
  return null;
}

function gapPoints(upper: number, lower: number, point: number): number {
  return Math.round(((upper - lower) / point) * 1e6) / 1e6;
}

/** Why a pending order's entry price is on the wrong side of the market or too close. */
export function entryProblem(info: SymbolInfo, quote: Quote, type: PendingType, price: number): string | null {
  const level = info.stops_level;
  const fmt = (v: number) => formatPrice(v, info.digits);
  const need = (text: string) => `${typeLabelOf(type)} price ${fmt(price)} must be ${text}`;
  switch (type) {
    case "buy_limit":
      return gapPoints(quote.ask, price, info.point) < Math.max(level, 1) ? need(`at least ${Math.max(level, 1)} points below the ask ${fmt(quote.ask)}.`) : null;
    case "sell_limit":
      return gapPoints(price, quote.bid, info.point) < Math.max(level, 1) ? need(`at least ${Math.max(level, 1)} points above the bid ${fmt(quote.bid)}.`) : null;
    case "buy_stop":
      return gapPoints(price, quote.ask, info.point) < Math.max(level, 1) ? need(`at least ${Math.max(level, 1)} points above the ask ${fmt(quote.ask)}.`) : null;
    case "sell_stop":
      return gapPoints(quote.bid, price, info.point) < Math.max(level, 1) ? need(`at least ${Math.max(level, 1)} points below the bid ${fmt(quote.bid)}.`) : null;
  }
}

function typeLabelOf(type: OrderType): string {
  return type.replace("_", " ").toUpperCase();
}

/** Why these S/L, T/P would be refused (MT4 error 130), or null. `reference` as in preflight.py. */
export function stopsProblem(info: SymbolInfo, buy: boolean, reference: number, stopLoss: number, takeProfit: number): string | null {
  const level = Math.max(info.stops_level, 1);
  const fmt = (v: number) => formatPrice(v, info.digits);
  if (stopLoss > 0) {
    const d = buy ? gapPoints(reference, stopLoss, info.point) : gapPoints(stopLoss, reference, info.point);
    if (d < level) return `Stop loss ${fmt(stopLoss)} must be at least ${level} points ${buy ? "below" : "above"} ${fmt(reference)}.`;
  }
  if (takeProfit > 0) {
    const d = buy ? gapPoints(takeProfit, reference, info.point) : gapPoints(reference, takeProfit, info.point);
    if (d < level) return `Take profit ${fmt(takeProfit)} must be at least ${level} points ${buy ? "above" : "below"} ${fmt(reference)}.`;
  }
  return null;
}

/** A distance in points as a price on the right side of `entry` (0 points: no stop). */
export function pointsToPrice(buy: boolean, entry: number, points: number, info: SymbolInfo, stopLoss: boolean): number {
  if (points <= 0) return 0;
  const below = buy === stopLoss;
  const v = below ? entry - points * info.point : entry + points * info.point;
  return Number(v.toFixed(info.digits));
}

function roundTo(v: number, digits: number | null): number {
  return digits === null ? v : Number(v.toFixed(digits));
}

/** Check a ticket; `data` is set only when nothing is wrong. */
export function checkTicket(input: TicketInput, info: SymbolInfo | null, quote: Quote | null): TicketCheck {
  const errors: TicketCheck["errors"] = {};
  const notes: string[] = [];
  const symbol = input.symbol.trim();
  if (input.agentId === "") errors.agent = "Choose the account to trade on.";
  if (!SYMBOL.test(symbol)) errors.symbol = "Enter a symbol such as EURUSD.";
  else if (info !== null && !info.trade_allowed) errors.symbol = `Trading ${symbol} is not allowed on this account.`;
  if (info === null && SYMBOL.test(symbol)) notes.push(`The rules for ${symbol} have not arrived yet; the terminal checks them.`);

  const buy = isBuy(input.type);
  const pending = isPending(input.type);
  const digits = info?.digits ?? null;

  const lotsV = parseDecimal(input.lots);
  let lots = 0;
  if (lotsV === "empty") errors.lots = "Enter a volume in lots.";
  else if (lotsV === "bad") errors.lots = "The volume is not a number.";
  else {
    lots = lotsV;
    const p = volumeProblem(info, lots);
    if (p) errors.lots = p;
  }

  let entry: number | null = null;
  if (pending) {
    const pv = parseDecimal(input.price);
    if (pv === "empty") errors.price = `A ${typeLabelOf(input.type)} order needs a price.`;
    else if (pv === "bad") errors.price = "The price is not a number.";
    else if (pv <= 0) errors.price = "The price must be greater than 0.";
    else {
      entry = roundTo(pv, digits);
      if (info !== null && quote !== null) {
        const p = entryProblem(info, quote, input.type as PendingType, entry);
        if (p) errors.price = p;
      }
    }
  } else if (quote !== null) {
    entry = buy ? quote.ask : quote.bid;
  }

  const stop = (text: string, field: "stopLoss" | "takeProfit", isSl: boolean): number => {
    const v = parseDecimal(text);
    const name = isSl ? "stop loss" : "take profit";
    if (v === "empty") return 0;
    if (v === "bad") {
      errors[field] = `The ${name} is not a number.`;
      return 0;
    }
    if (v < 0) {
      errors[field] = `The ${name} cannot be negative.`;
      return 0;
    }
    if (v === 0) return 0;
    if (input.stopMode === "points") {
      if (info === null) {
        errors[field] = `The point size of ${symbol || "this symbol"} is not known yet: enter the ${name} as a price.`;
        return 0;
      }
      if (entry === null) {
        errors[field] = `No live price for ${symbol} yet: enter the ${name} as a price.`;
        return 0;
      }
      return pointsToPrice(buy, entry, v, info, isSl);
    }
    return roundTo(v, digits);
  };
  const sl = stop(input.stopLoss, "stopLoss", true);
  const tp = stop(input.takeProfit, "takeProfit", false);

  if (!errors.stopLoss && !errors.takeProfit && (sl > 0 || tp > 0)) {
    // A market buy closes at the bid, a sell at the ask; a pending order's stops hang off its price.
    const reference = pending ? entry : quote === null ? null : buy ? quote.bid : quote.ask;
    if (reference !== null && info !== null) {
      const p = stopsProblem(info, buy, reference, sl, tp);
      if (p) errors[p.startsWith("Stop") ? "stopLoss" : "takeProfit"] = p;
    } else if (reference !== null) {
      if (sl > 0 && (buy ? sl >= reference : sl <= reference)) errors.stopLoss = `The stop loss must be ${buy ? "below" : "above"} ${formatPrice(reference)}.`;
      if (tp > 0 && (buy ? tp <= reference : tp >= reference)) errors.takeProfit = `The take profit must be ${buy ? "above" : "below"} ${formatPrice(reference)}.`;
    } else {
      notes.push("No live price yet: the terminal checks the S/L and T/P distances.");
    }
  }

  if (input.comment.length > MAX_COMMENT) errors.comment = `MT4 keeps at most ${MAX_COMMENT} characters of a comment (this one has ${input.comment.length}).`;

  if (Object.keys(errors).length > 0) return { errors, notes, data: null };
  const data: TradeData = { symbol, type: input.type, lots, stop_loss: sl, take_profit: tp, comment: input.comment };
  if (pending && entry !== null) data.price = entry;
  return { errors, notes, data };
}
