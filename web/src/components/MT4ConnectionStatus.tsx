// The page's own link to the backend, and each terminal's link to its gateway.

import { useNow } from "../hooks/useNow";
import { formatAge } from "../lib/format";
import { useMt4Store, type TerminalState } from "../stores/mt4.store";
import { useUiStore } from "../stores/ui.store";

const LINK_LABEL = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting",
  signed_out: "Signed out",
} as const;

export function PageLinkStatus() {
  const link = useMt4Store((s) => s.link);
  const rejected = useMt4Store((s) => s.rejected);
  return (
    <div className="link-status-wrap">
      <span className={`badge badge-${link.state}`} data-testid="link-status" data-state={link.state}>
        {LINK_LABEL[link.state]}
      </span>
      {link.reason !== "" && (
        <span className="link-reason" data-testid="link-reason">
          {link.reason}
        </span>
      )}
      {rejected.count > 0 && (
        <span className="rejected" data-testid="rejected-count" title={rejected.last}>
          {rejected.count} unreadable event{rejected.count === 1 ? "" : "s"} ignored
        </span>
      )}
    </div>
  );
}

/** Stale when the backend says so, or when heartbeats stopped for three intervals. */
export function effectiveStatus(t: TerminalState, now: number): TerminalState["status"] {
  if (t.status !== "connected" || t.lastHeartbeatAt === null) return t.status;
  const interval = t.info.heartbeat_interval_ms ?? 5_000;
  return now - t.lastHeartbeatAt > 3 * interval + 2_000 ? "stale" : "connected";
}

export function MT4ConnectionStatus({ terminal }: { terminal: TerminalState }) {
  const now = useNow(1000);
  const id = terminal.agentId;
  const status = effectiveStatus(terminal, now);
  const anyGatewayOnline = useUiStore((s) => s.anyGatewayOnline);
  // A disconnected terminal while none of the user's gateways is online: its gateway is gone.
  const gatewayOnline = terminal.gatewayOnline && !(status === "disconnected" && anyGatewayOnline === false);
  // Before the first heartbeat reaches this page, the backend's "last seen" stands in.
  const seen = terminal.lastHeartbeatAt ?? (terminal.info.last_seen ? Date.parse(terminal.info.last_seen) : Number.NaN);
  const age = Number.isNaN(seen) ? null : Math.max(0, now - seen);
  return (
    <div className="terminal-status">
      <span className={`badge badge-${status}`} data-testid={`terminal-status-${id}`} data-status={status}>
        {status}
      </span>
      <span
        className={`badge ${gatewayOnline ? "badge-live" : "badge-disconnected"}`}
        data-testid={`gateway-status-${id}`}
        data-online={gatewayOnline ? "true" : "false"}
      >
        gateway {gatewayOnline ? "online" : "offline"}
      </span>
      <span className="muted" data-testid={`heartbeat-age-${id}`}>
        heartbeat {formatAge(age)}
      </span>
      <span className="muted" data-testid={`ea-version-${id}`}>
        EA {terminal.info.ea_version ?? "?"}
      </span>
      {terminal.statusReason !== "" && terminal.statusReason !== "current state" && (
        <span className="muted" data-testid={`status-reason-${id}`}>
          {terminal.statusReason}
        </span>
      )}
    </div>
  );
}
