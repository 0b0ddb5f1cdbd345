// The one module that owns the Socket.IO connection to the backend's /mt4 namespace.
// Events are queued and folded into the store once per frame, so a burst of ticks costs
// one render; replies are matched to their orders by request_id.

import { useEffect } from "react";
import { io, type Socket } from "socket.io-client";
import { forgetToken, reasonText, tokenProblem } from "../lib/auth";
import { useMt4Store, type CommandRequest } from "../stores/mt4.store";

export const NAMESPACE = "/mt4";
/** The backend answers `timeout` after the command's expiry (30 s) plus 35 s; wait a bit longer. */
export const ACK_TIMEOUT_MS = 70_000;
/** How long after (re)connect the backend's per-agent state burst is taken to be complete. */
export const RESYNC_SETTLE_MS = 3_000;

interface Connection {
  socket: Socket;
  queue: unknown[];
  flushScheduled: boolean;
  lastFlush: number;
  resyncTimer: ReturnType<typeof setTimeout> | null;
}

let current: Connection | null = null;

function store() {
  return useMt4Store.getState();
}

function flush(conn: Connection): void {
  conn.flushScheduled = false;
  if (conn.queue.length === 0) return;
  const batch = conn.queue;
  conn.queue = [];
  store().ingest(batch);
}

/**
 * Ticks of several terminals arrive one message at a time; folding them in at most every
 * FLUSH_SPACING_MS turns many small renders into one, well inside the 150 ms a trader notices.
 */
export const FLUSH_SPACING_MS = 50;

function schedule(conn: Connection): void {
  if (conn.flushScheduled) return;
  conn.flushScheduled = true;
  const wait = Math.max(0, conn.lastFlush + FLUSH_SPACING_MS - performance.now());
  const run = () => {
    if (!conn.flushScheduled) return;
    conn.lastFlush = performance.now();
    flush(conn);
  };
  // rAF pauses in a hidden tab; the timer keeps the state fresh there (and in jsdom).
  setTimeout(() => {
    if (typeof requestAnimationFrame === "function" && document.visibilityState === "visible") requestAnimationFrame(run);
    setTimeout(run, 50);
  }, wait);
}

/** Python-socketio sends the refusal dict as the message text; newer backends as data. */
export function authRefusal(err: { message?: unknown; data?: unknown }): string | null {
  const data = err.data as { reason?: unknown; message?: unknown } | undefined;
  const message = typeof err.message === "string" ? err.message : "";
  const dataMsg = typeof data?.message === "string" ? data.message : "";
  if (!message.includes("authentication failed") && !dataMsg.includes("authentication failed")) return null;
  if (typeof data?.reason === "string") return data.reason;
  const m = /['"]reason['"]\s*:\s*['"]([a-z_]+)['"]/.exec(message);
  return m?.[1] ?? "invalid";
}

const DISCONNECT_WORDS: Readonly<Record<string, string>> = {
  "io server disconnect": "the platform closed the connection",
  "ping timeout": "the platform stopped answering",
  "transport close": "the connection to the platform was lost",
  "transport error": "the connection to the platform failed",
  "parse error": "the platform sent something unreadable",
};

/** The platform refused the token (here or at the JSON API): forget it and say why. */
export function signOutWith(reason: string): void {
  forgetToken();
  store().setLink({ state: "signed_out", reason: reasonText(reason) });
}

function connect(token: string, url: string): Connection {
  const socket = io(url + NAMESPACE, {
    auth: { token },
    reconnectionDelay: 500,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.3,
  });
  const conn: Connection = { socket, queue: [], flushScheduled: false, lastFlush: 0, resyncTimer: null };
  store().setLink({ state: "connecting", reason: "" });

  socket.on("connect", () => {
    flush(conn);
    store().setLink({ state: "live", reason: "" });
    store().beginResync();
    if (conn.resyncTimer !== null) clearTimeout(conn.resyncTimer);
    conn.resyncTimer = setTimeout(() => {
      conn.resyncTimer = null;
      flush(conn);
      store().endResync();
    }, RESYNC_SETTLE_MS);
  });
  socket.on("mt4_event", (event: unknown) => {
    conn.queue.push(event);
    schedule(conn);
  });
  socket.on("mt4_reply", (reply: unknown) => {
    flush(conn);
    store().ingestReply(reply);
  });
  socket.on("disconnect", (reason: string) => {
    flush(conn);
    store().loseAllInFlight("the connection to the platform dropped before the answer came");
    if (reason === "io client disconnect") return;
    store().setLink({ state: "reconnecting", reason: DISCONNECT_WORDS[reason] ?? reason });
    // The server hung up on purpose: socket.io does not retry that by itself.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1_000);
  });
  socket.on("connect_error", (err: Error & { data?: unknown }) => {
    const refused = authRefusal(err);
    if (refused !== null) {
      socket.disconnect();
      signOutWith(refused);
      return;
    }
    store().setLink({ state: "reconnecting", reason: err.message ? `cannot reach the platform (${err.message})` : "cannot reach the platform" });
  });
  return conn;
}

/** Keep the page connected while it has a token; one connection per token. */
export function useMT4WebSocket(token: string | null, url = ""): void {
  useEffect(() => {
    if (token === null) return undefined;
    const problem = tokenProblem(token, Date.now());
    if (problem !== null) {
      signOutWith(problem);
      return undefined;
    }
    const conn = connect(token, url);
    current = conn;
    return () => {
      if (conn.resyncTimer !== null) clearTimeout(conn.resyncTimer);
      conn.socket.removeAllListeners();
      conn.socket.disconnect();
      if (current === conn) current = null;
    };
  }, [token, url]);
}

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function newRequestId(): string {
  return `web-${randomHex(12)}`;
}

function emit(request: CommandRequest, summary: string): void {
  store().startOrder(request, summary);
  const conn = current;
  if (conn === null || !conn.socket.connected) {
    store().loseOrder(request.request_id, "not connected to the platform, so it was not sent");
    return;
  }
  conn.socket.timeout(ACK_TIMEOUT_MS).emit("mt4_command", request, (err: Error | null, reply: unknown) => {
    flush(conn);
    if (err) store().loseOrder(request.request_id, "no answer from the platform in time");
    else store().ingestReply(reply);
  });
}

/** Send a command; returns its request_id (shown in the results list). */
export function sendCommand(agentId: string, command: string, data: Record<string, unknown>, summary: string): string {
  const request: CommandRequest = { agent_id: agentId, command, request_id: newRequestId(), data };
  emit(request, summary);
  return request.request_id;
}

/** Send a command whose reply was lost again, with the same request_id and the same data. */
export function retryCommand(requestId: string): void {
  const order = store().orders[requestId];
  if (!order || order.state !== "lost") return;
  emit(order.request, order.summary);
}

export function signOut(): void {
  if (current !== null) {
    current.socket.removeAllListeners();
    current.socket.disconnect();
    current = null;
  }
  signOutWith("signed_out");
}
