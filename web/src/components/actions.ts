// Every command that touches money asks first; these build the question and send the answer.

import type { PendingOrder, Position } from "../protocol";
import { sendCommand } from "../hooks/useMT4WebSocket";
import { formatLots, formatPrice, formatStop, typeLabel } from "../lib/format";
import { parseDecimal, stopsProblem, volumeProblem } from "../lib/symbolRules";
import { useMt4Store, positionsOf, type TerminalState } from "../stores/mt4.store";
import { useUiStore } from "../stores/ui.store";

function symbolInfo(agentId: string, symbol: string) {
  return useMt4Store.getState().terminals[agentId]?.symbols[symbol] ?? null;
}

function ask(...args: Parameters<ReturnType<typeof useUiStore.getState>["ask"]>) {
  useUiStore.getState().ask(...args);
}

export function askClose(agentId: string, p: Position): void {
  ask({
    title: "Close position",
    text: `Close #${p.ticket}: ${typeLabel(p.type)} ${formatLots(p.lots)} ${p.symbol}?`,
    confirmLabel: "Close",
    fields: {},
    onConfirm: () => {
      sendCommand(agentId, "close_position", { ticket: p.ticket }, `Close #${p.ticket} (${p.symbol})`);
      return null;
    },
  });
}

export function askClosePart(agentId: string, p: Position): void {
  ask({
    title: "Close part of a position",
    text: `Close how many of the ${formatLots(p.lots)} lots of #${p.ticket} (${p.symbol})?`,
    confirmLabel: "Close part",
    fields: { lots: "" },
    onConfirm: (v) => {
      const lots = parseDecimal(v.lots ?? "");
      if (lots === "empty" || lots === "bad") return "Enter the lots to close.";
      if (lots >= p.lots) return `Enter less than ${formatLots(p.lots)} lots, or close the whole position.`;
      const problem = volumeProblem(symbolInfo(agentId, p.symbol), lots);
      if (problem) return problem;
      sendCommand(agentId, "close_position", { ticket: p.ticket, lots }, `Close ${formatLots(lots)} of #${p.ticket} (${p.symbol})`);
      return null;
    },
  });
}

function readStop(text: string, name: string): number | string {
  const v = parseDecimal(text);
  if (v === "empty") return 0;
  if (v === "bad" || v < 0) return `The ${name} is not a price (0 or empty removes it).`;
  return v;
}

export function askModify(agentId: string, p: Position): void {
  const info = symbolInfo(agentId, p.symbol);
  ask({
    title: "Modify S/L and T/P",
    text: `New stop loss and take profit for #${p.ticket} (${typeLabel(p.type)} ${p.symbol}). Empty or 0 removes one.`,
    confirmLabel: "Modify",
    fields: { sl: p.stop_loss > 0 ? String(p.stop_loss) : "", tp: p.take_profit > 0 ? String(p.take_profit) : "" },
    onConfirm: (v) => {
      const sl = readStop(v.sl ?? "", "stop loss");
      const tp = readStop(v.tp ?? "", "take profit");
      if (typeof sl === "string") return sl;
      if (typeof tp === "string") return tp;
      if (sl === p.stop_loss && tp === p.take_profit) return "Nothing to change: these are the current values.";
      const ref = p.current_price;
      if (info !== null && ref !== null) {
        const problem = stopsProblem(info, p.type === "buy", ref, sl, tp);
        if (problem) return problem;
      }
      sendCommand(agentId, "modify_position", { ticket: p.ticket, stop_loss: sl, take_profit: tp },
        `Modify #${p.ticket}: S/L ${formatStop(sl, info?.digits)} T/P ${formatStop(tp, info?.digits)}`);
      return null;
    },
  });
}

export function askModifyOrder(agentId: string, o: PendingOrder): void {
  const info = symbolInfo(agentId, o.symbol);
  ask({
    title: "Modify pending order",
    text: `New price, stop loss and take profit for #${o.ticket} (${typeLabel(o.type)} ${o.symbol}).`,
    confirmLabel: "Modify",
    fields: { price: String(o.price), sl: o.stop_loss > 0 ? String(o.stop_loss) : "", tp: o.take_profit > 0 ? String(o.take_profit) : "" },
    onConfirm: (v) => {
      const price = parseDecimal(v.price ?? "");
      if (price === "empty" || price === "bad" || price <= 0) return "Enter the order's price.";
      const sl = readStop(v.sl ?? "", "stop loss");
      const tp = readStop(v.tp ?? "", "take profit");
      if (typeof sl === "string") return sl;
      if (typeof tp === "string") return tp;
      if (info !== null) {
        const problem = stopsProblem(info, o.type.startsWith("buy"), price, sl, tp);
        if (problem) return problem;
      }
      sendCommand(agentId, "modify_position", { ticket: o.ticket, price, stop_loss: sl, take_profit: tp },
        `Modify order #${o.ticket}: ${formatPrice(price, info?.digits)}`);
      return null;
    },
  });
}

export function askDelete(agentId: string, o: PendingOrder): void {
  ask({
    title: "Delete pending order",
    text: `Delete #${o.ticket}: ${typeLabel(o.type)} ${formatLots(o.lots)} ${o.symbol} at ${formatPrice(o.price)}?`,
    confirmLabel: "Delete",
    fields: {},
    onConfirm: () => {
      sendCommand(agentId, "delete_order", { ticket: o.ticket }, `Delete order #${o.ticket} (${o.symbol})`);
      return null;
    },
  });
}

export function askCloseAll(t: TerminalState): void {
  const rows = positionsOf(t);
  const who = t.info.account_login !== undefined ? `${t.info.account_login}` : t.agentId;
  const list = rows.slice(0, 10).map((p) => `#${p.ticket} ${typeLabel(p.type)} ${formatLots(p.lots)} ${p.symbol}`).join(", ");
  ask({
    title: "Close all positions",
    text: `Close all ${rows.length} position(s) on account ${who}: ${list}${rows.length > 10 ? ", …" : ""}?`,
    confirmLabel: "Close all",
    fields: {},
    onConfirm: () => {
      sendCommand(t.agentId, "close_all", {}, `Close all on ${who}`);
      return null;
    },
  });
}
