// Account switcher and one card per account: money, broker, status, equity curve.

import { useMt4Store, floatingOf, positionsOf, type TerminalState } from "../stores/mt4.store";
import { ALL, useUiStore } from "../stores/ui.store";
import { formatMoney, formatPercent, formatSigned, signOf } from "../lib/format";
import { MT4ConnectionStatus } from "./MT4ConnectionStatus";
import { EquityCurve } from "./EquityCurve";
import { askCloseAll } from "./actions";

export function accountLabel(t: TerminalState): string {
  const login = t.info.account_login;
  return login !== undefined ? `${login}` : t.agentId;
}

export function AccountSwitcher() {
  const ids = useMt4Store((s) => Object.keys(s.terminals).sort().join("\n"));
  const terminals = useMt4Store((s) => s.terminals);
  const selected = useUiStore((s) => s.selected);
  const select = useUiStore((s) => s.select);
  const list = ids === "" ? [] : ids.split("\n");
  return (
    <nav className="switcher" aria-label="Accounts">
      <button type="button" className="tab" data-testid="account-tab-all" data-selected={selected === ALL ? "true" : "false"} aria-pressed={selected === ALL} onClick={() => select(ALL)}>
        All accounts
      </button>
      {list.map((id) => {
        const t = terminals[id];
        if (!t) return null;
        return (
          <button type="button" key={id} className="tab" data-testid={`account-tab-${id}`} data-selected={selected === id ? "true" : "false"} aria-pressed={selected === id} onClick={() => select(id)}>
            {accountLabel(t)} <span className="muted">{t.info.company ?? id}</span>
          </button>
        );
      })}
    </nav>
  );
}

function Field({ id, name, label, value, sign }: { id: string; name: string; label: string; value: string; sign?: string }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd data-testid={`account-${id}-${name}`} className={sign ? `sign-${sign}` : undefined} data-sign={sign}>
        {value}
      </dd>
    </div>
  );
}

export function AccountCard({ terminal }: { terminal: TerminalState }) {
  const id = terminal.agentId;
  const a = terminal.account;
  const floating = a ? floatingOf(terminal) : null;
  const count = positionsOf(terminal).length;
  return (
    <section className="card account-card" data-testid={`account-card-${id}`}>
      <header className="card-head">
        <h2>
          {accountLabel(terminal)} <span className="muted">{id}</span>
        </h2>
        <MT4ConnectionStatus terminal={terminal} />
      </header>
      <dl className="fields">
        <Field id={id} name="balance" label="Balance" value={formatMoney(a?.balance)} />
        <Field id={id} name="equity" label="Equity" value={formatMoney(a?.equity)} />
        <Field id={id} name="margin" label="Margin" value={formatMoney(a?.margin)} />
        <Field id={id} name="free-margin" label="Free margin" value={formatMoney(a?.margin_free)} />
        <Field id={id} name="margin-level" label="Margin level" value={formatPercent(a?.margin_level)} />
        <Field id={id} name="floating" label="Floating P/L" value={formatSigned(floating)} sign={signOf(floating)} />
        <Field id={id} name="currency" label="Currency" value={terminal.info.currency ?? "—"} />
        <Field id={id} name="broker" label="Broker" value={terminal.info.company ?? terminal.info.server ?? "—"} />
        <Field id={id} name="login" label="Login" value={terminal.info.account_login !== undefined ? String(terminal.info.account_login) : "—"} />
      </dl>
      <div className="card-foot">
        <EquityCurve agentId={id} points={terminal.equity} />
        <button type="button" className="danger" data-testid={`close-all-${id}`} disabled={count === 0} onClick={() => askCloseAll(terminal)}>
          Close all ({count})
        </button>
      </div>
    </section>
  );
}

export function AccountCards() {
  const terminals = useMt4Store((s) => s.terminals);
  const selected = useUiStore((s) => s.selected);
  const link = useMt4Store((s) => s.link.state);
  const list = Object.values(terminals)
    .filter((t) => selected === ALL || t.agentId === selected)
    .sort((x, y) => x.agentId.localeCompare(y.agentId));
  if (list.length === 0)
    return <p className="empty">{link === "live" ? "No terminals yet: link a gateway and start a terminal with the EA." : "Waiting for the platform…"}</p>;
  return (
    <div className="cards">
      {list.map((t) => (
        <AccountCard key={t.agentId} terminal={t} />
      ))}
    </div>
  );
}
