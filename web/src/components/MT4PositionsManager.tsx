// Trading from the web: the trade ticket, the confirm dialog every action goes through, and
// the list of commands with their outcome (or a retry with the same request_id).

import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { ORDER_TYPES, type OrderType } from "../protocol";
import { retryCommand, sendCommand } from "../hooks/useMT4WebSocket";
import { describeOutcome, formatLots, formatPrice, isRiskGuardRefusal, typeLabel } from "../lib/format";
import { checkTicket, isPending, MAX_COMMENT, type StopMode, type TicketField, type TicketInput } from "../lib/symbolRules";
import { useMt4Store, type OrderRecord } from "../stores/mt4.store";
import { ALL, useUiStore, type DialogField } from "../stores/ui.store";

const FIELD_LABEL: Record<DialogField, string> = { lots: "Lots to close", sl: "Stop loss", tp: "Take profit", price: "Price" };

export function ConfirmDialog() {
  const dialog = useUiStore((s) => s.dialog);
  const close = useUiStore((s) => s.closeDialog);
  const [values, setValues] = useState<Partial<Record<DialogField, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const acting = useRef(false);
  useEffect(() => {
    setValues(dialog?.fields ?? {});
    setError(null);
    setBusy(false);
    acting.current = false;
  }, [dialog]);
  useEffect(() => {
    if (dialog === null) return undefined;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [dialog, close]);
  if (dialog === null) return null;
  const fields = Object.keys(dialog.fields) as DialogField[];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // a double click must not send the order twice
    if (acting.current) return;
    acting.current = true;
    setBusy(true);
    try {
      const problem = await dialog.onConfirm(values);
      if (problem === null) {
        close();
        return;
      }
      setError(problem);
    } catch (err) {
      setError(err instanceof Error ? err.message : "That did not work.");
    }
    acting.current = false;
    setBusy(false);
  };
  return (
    <div className="overlay">
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog" onSubmit={submit}>
        <h2 id="confirm-title">{dialog.title}</h2>
        <p data-testid="confirm-text">{dialog.text}</p>
        {fields.map((f) => (
          <label key={f} className="form-row">
            <span>{FIELD_LABEL[f]}</span>
            <input
              inputMode="decimal"
              autoComplete="off"
              data-testid={`confirm-${f}`}
              value={values[f] ?? ""}
              onChange={(e) => setValues({ ...values, [f]: e.target.value })}
              autoFocus={f === fields[0]}
            />
          </label>
        ))}
        {error !== null && (
          <p className="form-error" role="alert" data-testid="confirm-error">
            {error}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" data-testid="confirm-cancel" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="danger" data-testid="confirm-ok" disabled={busy} autoFocus={fields.length === 0}>
            {dialog.confirmLabel}
          </button>
        </div>
      </form>
    </div>
  );
}

const TYPE_HELP: Record<OrderType, string> = {
  buy: "Buy now at the ask",
  sell: "Sell now at the bid",
  buy_limit: "Buy when the ask falls to the price",
  sell_limit: "Sell when the bid rises to the price",
  buy_stop: "Buy when the ask rises to the price",
  sell_stop: "Sell when the bid falls to the price",
};

function emptyTicket(agentId: string): TicketInput {
  return { agentId, symbol: "EURUSD", type: "buy", lots: "0.10", price: "", stopMode: "price", stopLoss: "", takeProfit: "", comment: "" };
}

export function TradeTicket() {
  const terminals = useMt4Store((s) => s.terminals);
  const selected = useUiStore((s) => s.selected);
  const setOpen = useUiStore((s) => s.setTicketOpen);
  const ids = Object.keys(terminals).sort();
  const [input, setInput] = useState<TicketInput>(() => emptyTicket(selected !== ALL ? selected : (ids[0] ?? "")));
  const [touched, setTouched] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const sentState = useMt4Store((s) => (sent === null ? null : (s.orders[sent]?.state ?? null)));
  const inFlight = sentState === "in_flight";

  useEffect(() => {
    if (input.agentId === "" && ids[0] !== undefined) setInput((i) => ({ ...i, agentId: ids[0] ?? "" }));
  }, [ids, input.agentId]);

  const terminal = terminals[input.agentId];
  const symbol = input.symbol.trim();
  const info = terminal?.symbols[symbol] ?? null;
  const quote = terminal?.quotes[symbol] ?? null;
  const check = useMemo(() => checkTicket(input, info, quote), [input, info, quote]);
  const symbols = useMemo(() => {
    const s = new Set<string>();
    if (terminal) {
      for (const k of Object.keys(terminal.symbols)) s.add(k);
      for (const p of Object.values(terminal.positions)) s.add(p.symbol);
    }
    return [...s].sort();
  }, [terminal]);

  const set = <K extends keyof TicketInput>(k: K, v: TicketInput[K]) => {
    setTouched(true);
    setInput((i) => ({ ...i, [k]: v }));
  };
  const err = (f: TicketField) =>
    check.errors[f] !== undefined && (touched || f !== "agent") ? (
      <span className="field-error" role="alert" data-testid={`ticket-error-${f}`}>
        {check.errors[f]}
      </span>
    ) : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (check.data === null || inFlight) return;
    const d = check.data;
    const what = `${typeLabel(d.type)} ${formatLots(d.lots)} ${d.symbol}${d.price !== undefined ? ` at ${formatPrice(d.price, info?.digits)}` : ""}`;
    const data: Record<string, unknown> = { ...d };
    if (d.comment === "") delete data.comment;
    setSent(sendCommand(input.agentId, "execute_trade", data, what));
  };

  const pending = isPending(input.type);
  return (
    <section className="card ticket" data-testid="trade-ticket" aria-label="Trade ticket">
      <header className="card-head">
        <h2>New order</h2>
        <button type="button" onClick={() => setOpen(false)} aria-label="Close the trade ticket">
          ✕
        </button>
      </header>
      <form onSubmit={submit} noValidate>
        <label className="form-row">
          <span>Account</span>
          <select data-testid="ticket-account" value={input.agentId} onChange={(e) => set("agentId", e.target.value)}>
            {ids.length === 0 && <option value="">no terminals</option>}
            {ids.map((id) => (
              <option key={id} value={id}>
                {terminals[id]?.info.account_login ?? id} ({id})
              </option>
            ))}
          </select>
          {err("agent")}
        </label>
        <label className="form-row">
          <span>Symbol</span>
          <input data-testid="ticket-symbol" list="ticket-symbols" autoComplete="off" value={input.symbol} onChange={(e) => set("symbol", e.target.value.toUpperCase())} />
          <datalist id="ticket-symbols">
            {symbols.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          {quote !== null && (
            <span className="muted">
              bid {formatPrice(quote.bid, info?.digits)} / ask {formatPrice(quote.ask, info?.digits)}
            </span>
          )}
          {err("symbol")}
        </label>
        <label className="form-row">
          <span>Type</span>
          <select data-testid="ticket-type" value={input.type} onChange={(e) => set("type", e.target.value as OrderType)}>
            {ORDER_TYPES.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
          </select>
          <span className="muted">{TYPE_HELP[input.type]}</span>
        </label>
        <label className="form-row">
          <span>Lots</span>
          <input data-testid="ticket-lots" inputMode="decimal" autoComplete="off" value={input.lots} onChange={(e) => set("lots", e.target.value)} />
          {info !== null && (
            <span className="muted">
              {formatLots(info.min_lot)} to {formatLots(info.max_lot)}, step {info.lot_step}
            </span>
          )}
          {err("lots")}
        </label>
        {pending && (
          <label className="form-row">
            <span>Price</span>
            <input data-testid="ticket-price" inputMode="decimal" autoComplete="off" value={input.price} onChange={(e) => set("price", e.target.value)} />
            {err("price")}
          </label>
        )}
        <label className="form-row">
          <span>S/L and T/P as</span>
          <select data-testid="ticket-stop-mode" value={input.stopMode} onChange={(e) => set("stopMode", e.target.value as StopMode)}>
            <option value="price">prices</option>
            <option value="points">points from the entry</option>
          </select>
        </label>
        <label className="form-row">
          <span>Stop loss</span>
          <input data-testid="ticket-sl" inputMode="decimal" autoComplete="off" value={input.stopLoss} onChange={(e) => set("stopLoss", e.target.value)} placeholder="none" />
          {err("stopLoss")}
        </label>
        <label className="form-row">
          <span>Take profit</span>
          <input data-testid="ticket-tp" inputMode="decimal" autoComplete="off" value={input.takeProfit} onChange={(e) => set("takeProfit", e.target.value)} placeholder="none" />
          {err("takeProfit")}
        </label>
        <label className="form-row">
          <span>Comment</span>
          <input data-testid="ticket-comment" autoComplete="off" value={input.comment} maxLength={64} onChange={(e) => set("comment", e.target.value)} placeholder={`up to ${MAX_COMMENT} characters`} />
          {err("comment")}
        </label>
        {check.notes.map((n) => (
          <p key={n} className="muted" data-testid="ticket-note">
            {n}
          </p>
        ))}
        <button type="submit" className={input.type.startsWith("buy") ? "buy" : "sell"} data-testid="ticket-submit" disabled={check.data === null || inFlight}>
          {inFlight ? "Order in flight…" : `${typeLabel(input.type)} ${input.lots} ${symbol}`}
        </button>
        {check.data === null && touched && <p className="form-error">Fix the fields marked above to send the order.</p>}
        {sent !== null && <p className="muted">Sent: see the result below.</p>}
      </form>
    </section>
  );
}

function OrderResult({ order }: { order: OrderRecord }) {
  const id = order.request.request_id;
  const risk = isRiskGuardRefusal(order.reply);
  return (
    <li className={`result result-${order.state}${risk ? " result-risk" : ""}`} data-testid={`order-result-${id}`} data-state={order.state} data-risk-guard={risk ? "true" : "false"} data-command={order.request.command}>
      <span className="result-summary">{order.summary}</span>
      <span className="result-text" data-testid={`order-result-text-${id}`}>
        {describeOutcome(order)}
      </span>
      {order.state === "lost" && (
        <button type="button" data-testid={`order-retry-${id}`} onClick={() => retryCommand(id)}>
          Retry
        </button>
      )}
    </li>
  );
}

export function OrderResults() {
  const orders = useMt4Store((s) => s.orders);
  const log = useMt4Store((s) => s.orderLog);
  if (log.length === 0) return null;
  return (
    <section className="card">
      <header className="card-head">
        <h2>Orders from this page</h2>
      </header>
      <ul className="results" data-testid="order-results" aria-live="polite">
        {log.map((id) => {
          const o = orders[id];
          return o ? <OrderResult key={id} order={o} /> : null;
        })}
      </ul>
    </section>
  );
}

export function MT4PositionsManager() {
  const open = useUiStore((s) => s.ticketOpen);
  const setOpen = useUiStore((s) => s.setTicketOpen);
  return (
    <div className="manager">
      {open ? (
        <TradeTicket />
      ) : (
        <button type="button" className="primary" data-testid="open-ticket" onClick={() => setOpen(true)}>
          New order…
        </button>
      )}
      <OrderResults />
      <ConfirmDialog />
    </div>
  );
}
