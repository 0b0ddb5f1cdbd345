// "Link a terminal": a one-time code for the desktop app, and the user's linked gateways.

import { useCallback, useEffect, useState } from "react";
import { createPairingCode, listGateways, revokeGateway, type ApiFailure, type LinkedGateway, type PairingCode } from "../lib/api";
import { formatCountdown, formatTime } from "../lib/format";
import { reasonText } from "../lib/auth";
import { useNow } from "../hooks/useNow";
import { signOutWith } from "../hooks/useMT4WebSocket";
import { useUiStore } from "../stores/ui.store";

const GATEWAYS_REFRESH_MS = 15_000;

function explain(f: ApiFailure): string {
  if (f.status === 401) {
    signOutWith(f.reason ?? "invalid");
    return `Signed out: ${reasonText(f.reason ?? "invalid")}`;
  }
  return f.message;
}

function CodeBox({ code, onExpired }: { code: PairingCode; onExpired: () => void }) {
  const now = useNow(1000);
  const left = code.expiresAt - now;
  useEffect(() => {
    if (left <= 0) onExpired();
  }, [left, onExpired]);
  return (
    <div className="pairing-code">
      <p>
        In the desktop app choose <strong>Link to platform</strong> (or run <code>mt4-gateway link --code …</code>) and enter:
      </p>
      <output className="code" data-testid="pairing-code">
        {code.code}
      </output>
      <p className="muted" data-testid="pairing-countdown">
        valid for {formatCountdown(left)}, once
      </p>
    </div>
  );
}

export function PairingPanel({ token }: { token: string }) {
  const [code, setCode] = useState<PairingCode | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [gateways, setGateways] = useState<LinkedGateway[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const ask = useUiStore((s) => s.ask);

  const refresh = useCallback(async () => {
    const r = await listGateways(token);
    if (r.ok) {
      setGateways(r.value);
      setListError(null);
      useUiStore.getState().setAnyGatewayOnline(r.value.some((g) => g.online));
    } else setListError(explain(r));
  }, [token]);

  useEffect(() => {
    void refresh();
    // a gateway that went away cleanly is only seen here (its terminals just say disconnected)
    const id = setInterval(() => void refresh(), GATEWAYS_REFRESH_MS);
    return () => clearInterval(id);
  }, [refresh]);

  const makeCode = async () => {
    setBusy(true);
    setCodeError(null);
    const r = await createPairingCode(token);
    setBusy(false);
    if (r.ok) setCode(r.value);
    else setCodeError(explain(r));
  };
  const expired = useCallback(() => setCode(null), []);

  const askRevoke = (g: LinkedGateway) =>
    ask({
      title: "Revoke gateway",
      text: `Unlink "${g.name}" on ${g.machine}? It stops forwarding at once and must be linked again with a new code.`,
      confirmLabel: "Revoke",
      fields: {},
      onConfirm: async () => {
        const r = await revokeGateway(token, g.id);
        if (!r.ok) return explain(r);
        await refresh();
        return null;
      },
    });

  return (
    <section className="card pairing">
      <header className="card-head">
        <h2>Linked gateways</h2>
        <button type="button" className="primary" data-testid="link-terminal" onClick={makeCode} disabled={busy}>
          Link a terminal
        </button>
        <button type="button" data-testid="gateways-refresh" onClick={() => void refresh()}>
          Refresh
        </button>
      </header>
      {/* keyed: a new code remounts the box, so its clock is read now, not up to 1 s ago */}
      {code !== null && <CodeBox key={code.code} code={code} onExpired={expired} />}
      {codeError !== null && (
        <p className="form-error" role="alert" data-testid="pairing-error">
          {codeError}
        </p>
      )}
      {listError !== null && (
        <p className="form-error" role="alert" data-testid="gateways-error">
          {listError}
        </p>
      )}
      <ul className="gateways" data-testid="gateways-list">
        {gateways !== null && gateways.length === 0 && <li className="muted">No gateway is linked yet.</li>}
        {gateways?.map((g) => (
          <li key={g.id} className="gateway" data-testid={`gateway-row-${g.id}`} data-online={g.online ? "true" : "false"}>
            <span className={`badge ${g.online ? "badge-live" : "badge-disconnected"}`}>{g.online ? "online" : "offline"}</span>
            <strong>{g.name}</strong>
            <span className="muted">{g.machine}</span>
            <span className="muted">
              {g.terminals} terminal{g.terminals === 1 ? "" : "s"}
            </span>
            <span className="muted">version {g.version ?? "?"}</span>
            <span className="muted">last seen {g.lastSeen ? formatTime(g.lastSeen) : "never"}</span>
            <button type="button" className="danger" data-testid={`gateway-${g.id}-revoke`} onClick={() => askRevoke(g)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
