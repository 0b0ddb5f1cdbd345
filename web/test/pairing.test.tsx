// The pairing panel against a real HTTP server on 127.0.0.1 that answers the brief's
// contract (POST /api/pairing-codes, GET /api/gateways, DELETE /api/gateways/{id}).

import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { PairingPanel } from "../src/components/PairingPanel";
import { ConfirmDialog } from "../src/components/MT4PositionsManager";
import { setApiBase } from "../src/lib/api";
import { loadToken, saveToken } from "../src/lib/auth";
import { useMt4Store } from "../src/stores/mt4.store";
import { useUiStore } from "../src/stores/ui.store";

const TOKEN = "web.token.here";
let http: HttpServer;
let gateways: Array<Record<string, unknown>>;
let seen: string[];

beforeEach(async () => {
  useMt4Store.getState().reset();
  useUiStore.setState({ dialog: null, anyGatewayOnline: null });
  seen = [];
  gateways = [
    { id: "tok-1", name: "Desk PC", machine: "DESK-01", linked_at: "2026-12-01T09:00:00Z", last_seen: "2026-12-01T10:00:00Z", terminals: 2, version: "0.1.0", online: true },
    { id: "tok-2", name: "<b>VPS</b>", machine: "vps", linked_at: "2026-12-01T09:00:00Z", last_seen: null, terminals: 0, version: null, online: false },
  ];
  http = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    const json = (status: number, body?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { error: "unauthorized", message: "token expired", reason: "expired" });
    if (req.method === "POST" && req.url === "/api/pairing-codes")
      return json(201, { code: "ABCD2345", expires_at: new Date(Date.now() + 600_000).toISOString() });
    if (req.method === "GET" && req.url === "/api/gateways") return json(200, gateways);
    const m = /^\/api\/gateways\/(.+)$/.exec(req.url ?? "");
    if (req.method === "DELETE" && m) {
      const before = gateways.length;
      gateways = gateways.filter((g) => g.id !== m[1]);
      return gateways.length < before ? json(204) : json(404, { error: "not_found", message: "no such gateway among yours" });
    }
    json(404, { error: "not_found", message: "nothing here" });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  setApiBase(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
});

afterEach(async () => {
  cleanup();
  setApiBase("");
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

describe("pairing panel", () => {
  it("lists the gateways, shows a one-time code with its countdown, revokes after asking", async () => {
    render(<><PairingPanel token={TOKEN} /><ConfirmDialog /></>);
    await screen.findByTestId("gateway-row-tok-1");
    expect(screen.getByTestId("gateway-row-tok-1").dataset.online).toBe("true");
    expect(screen.getByTestId("gateway-row-tok-2").textContent).toContain("<b>VPS</b>");
    expect(useUiStore.getState().anyGatewayOnline).toBe(true);

    fireEvent.click(screen.getByTestId("link-terminal"));
    expect((await screen.findByTestId("pairing-code")).textContent).toBe("ABCD2345");
    expect(screen.getByTestId("pairing-countdown").textContent).toMatch(/valid for (10:00|9:5\d), once/);

    fireEvent.click(screen.getByTestId("gateway-tok-1-revoke"));
    expect(screen.getByTestId("confirm-text").textContent).toContain("Desk PC");
    fireEvent.click(screen.getByTestId("confirm-cancel"));
    expect(seen.some((s) => s.startsWith("DELETE"))).toBe(false);

    fireEvent.click(screen.getByTestId("gateway-tok-1-revoke"));
    fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(() => expect(screen.queryByTestId("gateway-row-tok-1")).toBeNull());
    expect(seen).toContain(`DELETE /api/gateways/tok-1 Bearer ${TOKEN}`);
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(useUiStore.getState().anyGatewayOnline).toBe(false);
  });

  it("a refused token signs the page out and is forgotten", async () => {
    saveToken("stale.token.x");
    render(<PairingPanel token="stale.token.x" />);
    expect((await screen.findByTestId("gateways-error")).textContent).toMatch(/Signed out: the sign-in token has expired/);
    expect(useMt4Store.getState().link).toEqual({ state: "signed_out", reason: "the sign-in token has expired" });
    expect(loadToken()).toBeNull();
  });
});
