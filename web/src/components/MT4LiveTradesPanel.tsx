// Live positions and pending orders of the selected account (or all of them).
// Prices use the symbol's digits, or until its rules arrive the open price's own precision,
// so a column does not change width as prices move.

import { useMemo } from "react";
import type { PendingOrder, Position } from "../protocol";
import { guessDigits, formatLots, formatPrice, formatShortTime, formatSigned, formatStop, signOf, typeLabel } from "../lib/format";
import { totalProfitOf, useMt4Store, type TerminalState } from "../stores/mt4.store";
import { ALL, useUiStore } from "../stores/ui.store";
import { DataTable, type Column } from "./DataTable";
import { askClose, askClosePart, askDelete, askModify, askModifyOrder } from "./actions";

interface PositionRow {
  agentId: string;
  account: string;
  digits: number | undefined;
  p: Position;
}

interface OrderRow {
  agentId: string;
  account: string;
  digits: number | undefined;
  o: PendingOrder;
}

const positionColumns: readonly Column<PositionRow>[] = [
  { key: "ticket", label: "Ticket", value: (r) => r.p.ticket, text: (r) => String(r.p.ticket), numeric: true },
  { key: "account", label: "Account", value: (r) => r.account, text: (r) => r.account },
  { key: "symbol", label: "Symbol", value: (r) => r.p.symbol, text: (r) => r.p.symbol },
  { key: "type", label: "Type", value: (r) => r.p.type, text: (r) => typeLabel(r.p.type), sign: (r) => (r.p.type === "buy" ? "buy" : "sell") },
  { key: "lots", label: "Lots", value: (r) => r.p.lots, text: (r) => formatLots(r.p.lots), numeric: true },
  { key: "open-price", label: "Open", value: (r) => r.p.open_price, text: (r) => formatPrice(r.p.open_price, r.digits), numeric: true },
  { key: "sl", label: "S/L", value: (r) => r.p.stop_loss, text: (r) => formatStop(r.p.stop_loss, r.digits), numeric: true },
  { key: "tp", label: "T/P", value: (r) => r.p.take_profit, text: (r) => formatStop(r.p.take_profit, r.digits), numeric: true },
  { key: "price", label: "Price", value: (r) => r.p.current_price ?? 0, text: (r) => formatPrice(r.p.current_price, r.digits), numeric: true },
  { key: "swap", label: "Swap", value: (r) => r.p.swap ?? 0, text: (r) => formatSigned(r.p.swap ?? 0), numeric: true },
  { key: "profit", label: "Profit", value: (r) => r.p.profit ?? 0, text: (r) => formatSigned(r.p.profit), sign: (r) => signOf(r.p.profit), numeric: true },
  { key: "comment", label: "Comment", value: (r) => r.p.comment, text: (r) => r.p.comment },
  { key: "open-time", label: "Opened (UTC)", value: (r) => r.p.open_time ?? "", text: (r) => formatShortTime(r.p.open_time) },
];

const orderColumns: readonly Column<OrderRow>[] = [
  { key: "ticket", label: "Ticket", value: (r) => r.o.ticket, text: (r) => String(r.o.ticket), numeric: true },
  { key: "account", label: "Account", value: (r) => r.account, text: (r) => r.account },
  { key: "symbol", label: "Symbol", value: (r) => r.o.symbol, text: (r) => r.o.symbol },
  { key: "type", label: "Type", value: (r) => r.o.type, text: (r) => typeLabel(r.o.type), sign: (r) => (r.o.type.startsWith("buy") ? "buy" : "sell") },
  { key: "lots", label: "Lots", value: (r) => r.o.lots, text: (r) => formatLots(r.o.lots), numeric: true },
  { key: "price", label: "Price", value: (r) => r.o.price, text: (r) => formatPrice(r.o.price, r.digits), numeric: true },
  { key: "sl", label: "S/L", value: (r) => r.o.stop_loss, text: (r) => formatStop(r.o.stop_loss, r.digits), numeric: true },
  { key: "tp", label: "T/P", value: (r) => r.o.take_profit, text: (r) => formatStop(r.o.take_profit, r.digits), numeric: true },
  { key: "comment", label: "Comment", value: (r) => r.o.comment, text: (r) => r.o.comment },
];

function accountOf(t: TerminalState): string {
  return t.info.account_login !== undefined ? String(t.info.account_login) : t.agentId;
}

function useSelectedTerminals(): TerminalState[] {
  const terminals = useMt4Store((s) => s.terminals);
  const selected = useUiStore((s) => s.selected);
  return useMemo(
    () => Object.values(terminals).filter((t) => selected === ALL || t.agentId === selected).sort((a, b) => a.agentId.localeCompare(b.agentId)),
    [terminals, selected],
  );
}

export function PositionsTable() {
  const terminals = useSelectedTerminals();
  const rows = useMemo(
    () => terminals.flatMap((t) => Object.values(t.positions).map((p): PositionRow => ({ agentId: t.agentId, account: accountOf(t), digits: t.symbols[p.symbol]?.digits ?? guessDigits(p.open_price), p }))),
    [terminals],
  );
  const total = totalProfitOf(rows.map((r) => r.p));
  return (
    <section className="card">
      <header className="card-head">
        <h2>Positions</h2>
        <span className="muted" data-testid="positions-count">
          {rows.length} open
        </span>
        <span className={`total sign-${signOf(total)}`} data-testid="positions-total-profit" data-sign={signOf(total)}>
          Total profit {formatSigned(total)}
        </span>
      </header>
      <DataTable
        name="positions"
        rowPrefix="position"
        columns={positionColumns}
        rows={rows}
        rowKey={(r) => `${r.agentId}:${r.p.ticket}`}
        ticketOf={(r) => r.p.ticket}
        agentOf={(r) => r.agentId}
        empty="No open positions."
        actions={(r) => (
          <>
            <button type="button" data-testid={`position-${r.p.ticket}-close`} onClick={() => askClose(r.agentId, r.p)}>
              Close
            </button>
            <button type="button" data-testid={`position-${r.p.ticket}-close-part`} onClick={() => askClosePart(r.agentId, r.p)}>
              Part
            </button>
            <button type="button" data-testid={`position-${r.p.ticket}-modify`} onClick={() => askModify(r.agentId, r.p)}>
              S/L T/P
            </button>
          </>
        )}
      />
    </section>
  );
}

export function OrdersTable() {
  const terminals = useSelectedTerminals();
  const rows = useMemo(
    () => terminals.flatMap((t) => Object.values(t.pending).map((o): OrderRow => ({ agentId: t.agentId, account: accountOf(t), digits: t.symbols[o.symbol]?.digits ?? guessDigits(o.price), o }))),
    [terminals],
  );
  return (
    <section className="card">
      <header className="card-head">
        <h2>Pending orders</h2>
        <span className="muted" data-testid="orders-count">
          {rows.length} pending
        </span>
      </header>
      <DataTable
        name="orders"
        rowPrefix="order"
        columns={orderColumns}
        rows={rows}
        rowKey={(r) => `${r.agentId}:${r.o.ticket}`}
        ticketOf={(r) => r.o.ticket}
        agentOf={(r) => r.agentId}
        empty="No pending orders."
        actions={(r) => (
          <>
            <button type="button" data-testid={`order-${r.o.ticket}-delete`} onClick={() => askDelete(r.agentId, r.o)}>
              Delete
            </button>
            <button type="button" data-testid={`order-${r.o.ticket}-modify`} onClick={() => askModifyOrder(r.agentId, r.o)}>
              Modify
            </button>
          </>
        )}
      />
    </section>
  );
}

export function MT4LiveTradesPanel() {
  return (
    <div className="trades">
      <PositionsTable />
      <OrdersTable />
    </div>
  );
}
