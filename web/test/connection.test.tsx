// The hook against a real Socket.IO server on 127.0.0.1 (namespace /mt4, same events and
// ack as platform_backend/web_clients.py): live state, a lost reply, reconnect rebuild, and
// a retry that reuses the request_id.

import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, render } from "@testing-library/react";
import { Server, type Socket } from "socket.io";
import { authRefusal, retryCommand, sendCommand, signOut, useMT4WebSocket } from "../src/hooks/useMT4WebSocket";
import { useMt4Store } from "../src/stores/mt4.store";
import { tokenProblem, takeTokenFromLocation, loadToken, forgetToken } from "../src/lib/auth";
import { position, snapshot, status } from "./fixtures";

function b64url(o: unknown): string {
  return btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
function jwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}.c2lnbmF0dXJl`;
}
const GOOD = jwt({ sub: "42", exp: Math.floor(Date.now() / 1000) + 3600, kind: "web" });
const REFUSED = jwt({ sub: "42", exp: Math.floor(Date.now() / 1000) + 3600 });

let http: HttpServer;
let io: Server;
let url: string;
let state: { positions: unknown[] };
let commands: Array<Record<string, unknown>>;
let dropNextCommand: boolean;

function Probe({ token }: { token: string }) {
  useMT4WebSocket(token, url);
  return null;
}

beforeEach(async () => {
  useMt4Store.getState().reset();
  state = { positions: [position(1), position(2)] };
  commands = [];
  dropNextCommand = false;
  http = createServer();
  io = new Server(http, { cors: { origin: "*" } });
  const ns = io.of("/mt4");
  ns.use((socket, next) => {
    if (socket.handshake.auth.token === GOOD) return next();
    const err = new Error("authentication failed") as Error & { data?: unknown };
    err.data = { reason: "expired" };
    next(err);
  });
  ns.on("connection", (socket: Socket) => {
    socket.emit("mt4_event", status("demo-1", "connected"));
    socket.emit("mt4_event", snapshot("demo-1", state.positions));
    socket.on("mt4_command", (cmd: Record<string, unknown>, ack: (r: unknown) => void) => {
      commands.push(cmd);
      if (dropNextCommand) {
        dropNextCommand = false;
        socket.conn.close(); // the reply is lost with the connection
        return;
      }
      ack({ type: "command_result", command: cmd.command, request_id: cmd.request_id, success: true, data: { ticket: 1, close_price: 1.09, closed_lots: 0.1 } });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterEach(async () => {
  cleanup();
  await new Promise<void>((resolve) => io.close(() => resolve()));
});

const tickets = () => Object.keys(useMt4Store.getState().terminals["demo-1"]?.positions ?? {}).map(Number).sort();
const WAIT = { timeout: 15_000, interval: 20 };

describe("useMT4WebSocket against a real Socket.IO server", () => {
  it("goes live, loses a reply with the link, rebuilds on reconnect, retries with the same request_id", async () => {
    render(<Probe token={GOOD} />);
    await vi.waitFor(() => expect(useMt4Store.getState().link.state).toBe("live"), WAIT);
    await vi.waitFor(() => expect(tickets()).toEqual([1, 2]), WAIT);

    state.positions = [position(2), position(3)]; // what the terminal has after the outage
    dropNextCommand = true;
    const rid = sendCommand("demo-1", "close_position", { ticket: 1 }, "Close #1");
    await vi.waitFor(() => expect(useMt4Store.getState().orders[rid]?.state).toBe("lost"), WAIT);
    await vi.waitFor(() => expect(useMt4Store.getState().link.state).toBe("live"), WAIT);
    await vi.waitFor(() => expect(tickets()).toEqual([2, 3]), WAIT);
    await vi.waitFor(() => expect(useMt4Store.getState().resync).toBeNull(), WAIT);

    retryCommand(rid);
    await vi.waitFor(() => expect(useMt4Store.getState().orders[rid]?.state).toBe("done"), WAIT);
    expect(commands).toHaveLength(2);
    expect(commands[1]).toEqual(commands[0]);
    expect(commands[0]).toMatchObject({ agent_id: "demo-1", command: "close_position", request_id: rid, data: { ticket: 1 } });
    expect(useMt4Store.getState().orders[rid]?.attempts).toBe(2);
    signOut();
    expect(useMt4Store.getState().link).toEqual({ state: "signed_out", reason: "you signed out" });
  }, 30_000);

  it("a refused token signs the page out with the reason", async () => {
    render(<Probe token={REFUSED} />);
    await vi.waitFor(() => expect(useMt4Store.getState().link.state).toBe("signed_out"), WAIT);
    expect(useMt4Store.getState().link.reason).toBe("the sign-in token has expired");
  }, 30_000);
});

describe("sign-in", () => {
  it("reads python-socketio's refusal text and the data form", () => {
    expect(authRefusal({ message: "{'message': 'authentication failed', 'reason': 'expired'}" })).toBe("expired");
    expect(authRefusal({ message: "authentication failed", data: { reason: "wrong_kind" } })).toBe("wrong_kind");
    expect(authRefusal({ message: "xhr poll error" })).toBeNull();
  });

  it("spots expired, malformed and gateway tokens before connecting", () => {
    const now = Date.now();
    expect(tokenProblem(GOOD, now)).toBeNull();
    expect(tokenProblem(jwt({ sub: "1", exp: Math.floor(now / 1000) - 5 }), now)).toBe("expired");
    expect(tokenProblem(jwt({ sub: "1", exp: Math.floor(now / 1000) + 60, kind: "gateway" }), now)).toBe("wrong_kind");
    expect(tokenProblem("not a token", now)).toBe("invalid");
  });

  it("moves #token= into sessionStorage and off the address bar", () => {
    forgetToken();
    window.history.replaceState(null, "", `/panel?x=1#token=${GOOD}`);
    expect(takeTokenFromLocation()).toBe(GOOD);
    expect(window.location.hash).toBe("");
    expect(window.location.pathname + window.location.search).toBe("/panel?x=1");
    expect(loadToken()).toBe(GOOD);
  });
});
