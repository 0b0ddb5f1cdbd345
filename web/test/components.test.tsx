import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { applyEvents, initialState, useMt4Store } from "../src/stores/mt4.store";
import { useUiStore, ALL } from "../src/stores/ui.store";
import { MT4LiveTradesPanel } from "../src/components/MT4LiveTradesPanel";
import { MT4PositionsManager } from "../src/components/MT4PositionsManager";
import { AccountCards, AccountSwitcher } from "../src/components/AccountCards";
import { PageLinkStatus } from "../src/components/MT4ConnectionStatus";
import { ErrorBoundary } from "../src/components/ErrorBoundary";
import { VIRTUALIZE_AFTER } from "../src/components/DataTable";
import { account, ev, eurusd, pending, position, snapshot, status } from "./fixtures";

function load(...events: unknown[]) {
  useMt4Store.setState(applyEvents({ ...initialState, link: { state: "live", reason: "" } }, events, Date.now()));
}

beforeEach(() => {
  useMt4Store.getState().reset();
  useUiStore.setState({ selected: ALL, dialog: null, ticketOpen: false, anyGatewayOnline: null });
});
afterEach(() => cleanup());

describe("positions and orders tables", () => {
  it("shows the terminals' rows, count, total and profit sign", () => {
    load(
      status("demo-1", "connected", "current state", { account_login: 5001 }),
      snapshot("demo-1", [position(1, { profit: 12.5 }), position(2, { profit: -20, symbol: "GBPUSD" })], [pending(30)]),
      snapshot("demo-2", [position(3, { profit: 0 })]),
    );
    render(<MT4LiveTradesPanel />);
    expect(screen.getAllByTestId(/^position-row-/)).toHaveLength(3);
    expect(screen.getByTestId("positions-count").textContent).toBe("3 open");
    expect(screen.getByTestId("positions-total-profit").textContent).toContain("-7.50");
    expect(screen.getByTestId("position-1-profit").dataset.sign).toBe("pos");
    expect(screen.getByTestId("position-2-profit").dataset.sign).toBe("neg");
    expect(screen.getByTestId("position-3-profit").dataset.sign).toBe("zero");
    expect(screen.getByTestId("position-2-symbol").textContent).toBe("GBPUSD");
    expect(screen.getByTestId("position-1-account").textContent).toBe("5001");
    expect(screen.getByTestId("order-row-30").dataset.agent).toBe("demo-1");
    expect(screen.getByTestId("orders-count").textContent).toBe("1 pending");
  });

  it("terminal text is text: markup in a comment creates no element", () => {
    const comment = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    load(snapshot("demo-1", [position(1, { comment })]));
    const { container } = render(<MT4LiveTradesPanel />);
    expect(screen.getByTestId("position-1-comment").textContent).toBe(comment);
    expect(container.querySelector("img, script")).toBeNull();
  });

  it("sorts by a column and flips direction", () => {
    load(snapshot("demo-1", [position(1, { profit: 5 }), position(2, { profit: -3 }), position(3, { profit: 9 })]));
    render(<MT4LiveTradesPanel />);
    const order = () => screen.getAllByTestId(/^position-row-/).map((r) => r.dataset.testid);
    fireEvent.click(screen.getByTestId("positions-sort-profit"));
    expect(order()).toEqual(["position-row-2", "position-row-1", "position-row-3"]);
    fireEvent.click(screen.getByTestId("positions-sort-profit"));
    expect(order()).toEqual(["position-row-3", "position-row-1", "position-row-2"]);
    expect(screen.getByTestId("positions-sort-profit").dataset.dir).toBe("desc");
  });

  it("a changed cell flashes, an unchanged one does not", () => {
    load(snapshot("demo-1", [position(1, { profit: 5 })]));
    render(<MT4LiveTradesPanel />);
    act(() => {
      useMt4Store.getState().ingest([ev("positions_update", "demo-1", { positions: [{ ticket: 1, current_price: 1.0871, profit: 7 }] })]);
    });
    expect(screen.getByTestId("position-1-profit").className).toMatch(/flash-/);
    expect(screen.getByTestId("position-1-price").className).toMatch(/flash-/);
    expect(screen.getByTestId("position-1-lots").className).not.toMatch(/flash-/);
  });

  it("the selected account filters the rows", () => {
    load(snapshot("demo-1", [position(1)]), snapshot("demo-2", [position(2)]));
    render(<><AccountSwitcher /><MT4LiveTradesPanel /></>);
    fireEvent.click(screen.getByTestId("account-tab-demo-2"));
    expect(screen.getAllByTestId(/^position-row-/).map((r) => r.dataset.testid)).toEqual(["position-row-2"]);
    expect(screen.getByTestId("account-tab-demo-2").dataset.selected).toBe("true");
  });

  it(`more than ${VIRTUALIZE_AFTER} rows are virtualised`, () => {
    const many = Array.from({ length: 1000 }, (_, i) => position(i + 1));
    load(snapshot("demo-1", many));
    render(<MT4LiveTradesPanel />);
    expect(screen.getByTestId("positions-count").textContent).toBe("1000 open");
    expect(screen.queryAllByTestId(/^position-row-/).length).toBeLessThan(100);
  });
});

describe("accounts", () => {
  it("a card per account with money, broker and status", () => {
    load(
      status("demo-1", "connected", "current state", { account_login: 5001, company: "Demo <b>Broker</b>", currency: "EUR", ea_version: "1.4.2" }),
      snapshot("demo-1", [position(1, { profit: -0.35 })], [], account(9_999.65, { profit: -0.35, margin: 100, margin_level: 9999.65 })),
      status("demo-2", "disconnected", "the gateway is not connected to the platform"),
    );
    render(<AccountCards />);
    expect(screen.getByTestId("account-demo-1-equity").textContent).toBe("9,999.65");
    expect(screen.getByTestId("account-demo-1-floating").textContent).toBe("-0.35");
    expect(screen.getByTestId("account-demo-1-floating").dataset.sign).toBe("neg");
    expect(screen.getByTestId("account-demo-1-broker").textContent).toBe("Demo <b>Broker</b>");
    expect(screen.getByTestId("account-demo-1-currency").textContent).toBe("EUR");
    expect(screen.getByTestId("ea-version-demo-1").textContent).toContain("1.4.2");
    expect(screen.getByTestId("terminal-status-demo-1").dataset.status).toBe("connected");
    expect(screen.getByTestId("terminal-status-demo-2").dataset.status).toBe("disconnected");
    expect(screen.getByTestId("gateway-status-demo-2").dataset.online).toBe("false");
    expect(screen.getByTestId("equity-curve-demo-1").tagName.toLowerCase()).toBe("svg");
  });

  it("a terminal that closed cleanly shows its gateway offline once no gateway of the user is online", () => {
    load(status("demo-1", "connected"), status("demo-1", "disconnected", "connection closed"));
    render(<AccountCards />);
    expect(screen.getByTestId("gateway-status-demo-1").dataset.online).toBe("true");
    act(() => useUiStore.getState().setAnyGatewayOnline(false));
    expect(screen.getByTestId("gateway-status-demo-1").dataset.online).toBe("false");
    expect(screen.getByTestId("status-reason-demo-1").textContent).toBe("connection closed");
  });

  it("the page's link state and the ignored-event count", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    load({ type: "bogus" });
    useMt4Store.getState().setLink({ state: "reconnecting", reason: "the platform stopped answering" });
    render(<PageLinkStatus />);
    expect(screen.getByTestId("link-status").dataset.state).toBe("reconnecting");
    expect(screen.getByTestId("link-reason").textContent).toBe("the platform stopped answering");
    expect(screen.getByTestId("rejected-count").textContent).toContain("1 unreadable event ignored");
  });
});

describe("trading", () => {
  it("the ticket refuses bad values and says why", () => {
    load(snapshot("demo-1", []), ev("symbol_info", "demo-1", eurusd), ev("quote", "demo-1", { symbol: "EURUSD", bid: 1.085, ask: 1.0852 }));
    render(<MT4PositionsManager />);
    fireEvent.click(screen.getByTestId("open-ticket"));
    fireEvent.change(screen.getByTestId("ticket-lots"), { target: { value: "0.015" } });
    expect(screen.getByTestId("ticket-error-lots").textContent).toMatch(/lot step/);
    expect((screen.getByTestId("ticket-submit") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("ticket-lots"), { target: { value: "0.02" } });
    fireEvent.change(screen.getByTestId("ticket-sl"), { target: { value: "1.08495" } });
    expect(screen.getByTestId("ticket-error-stopLoss").textContent).toMatch(/at least 10 points below/);
    fireEvent.change(screen.getByTestId("ticket-sl"), { target: { value: "1.08" } });
    expect(screen.queryByTestId("ticket-error-stopLoss")).toBeNull();
    expect((screen.getByTestId("ticket-submit") as HTMLButtonElement).disabled).toBe(false);
  });

  it("close asks first; cancel sends nothing; confirm sends and shows the outcome with a retry", () => {
    load(snapshot("demo-1", [position(7)]));
    render(<><MT4LiveTradesPanel /><MT4PositionsManager /></>);
    fireEvent.click(screen.getByTestId("position-7-close"));
    expect(screen.getByTestId("confirm-text").textContent).toMatch(/Close #7/);
    fireEvent.click(screen.getByTestId("confirm-cancel"));
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(useMt4Store.getState().orderLog).toHaveLength(0);

    fireEvent.click(screen.getByTestId("position-7-close"));
    fireEvent.click(screen.getByTestId("confirm-ok"));
    const [rid] = useMt4Store.getState().orderLog;
    expect(rid).toMatch(/^web-[0-9a-f]{24}$/);
    // no socket in this test: nothing was sent, and the page says so and offers a retry
    const row = screen.getByTestId(`order-result-${rid}`);
    expect(row.dataset.state).toBe("lost");
    expect(row.dataset.command).toBe("close_position");
    expect(within(row).getByTestId(`order-result-text-${rid}`).textContent).toMatch(/not connected/);
    fireEvent.click(screen.getByTestId(`order-retry-${rid}`));
    expect(useMt4Store.getState().orders[rid!]?.attempts).toBe(2);
    expect(useMt4Store.getState().orders[rid!]?.request.request_id).toBe(rid);
    act(() => {
      useMt4Store.getState().ingestReply({ type: "command_result", command: "close_position", request_id: rid, success: false, error: { code: "remote_trading_disabled", message: "trading from the platform is switched off on this gateway" } });
    });
    const done = screen.getByTestId(`order-result-${rid}`);
    expect(done.dataset.state).toBe("failed");
    expect(done.dataset.riskGuard).toBe("true");
    expect(done.textContent).toMatch(/Refused by the gateway's risk guard: trading from the platform is switched off/);
  });

  it("close part checks the volume before sending", () => {
    load(snapshot("demo-1", [position(7, { lots: 0.5 })]), ev("symbol_info", "demo-1", eurusd));
    render(<><MT4LiveTradesPanel /><MT4PositionsManager /></>);
    fireEvent.click(screen.getByTestId("position-7-close-part"));
    fireEvent.change(screen.getByTestId("confirm-lots"), { target: { value: "0.5" } });
    fireEvent.click(screen.getByTestId("confirm-ok"));
    return screen.findByTestId("confirm-error").then((el) => {
      expect(el.textContent).toMatch(/less than 0.50 lots/);
      expect(useMt4Store.getState().orderLog).toHaveLength(0);
    });
  });
});

describe("error boundary", () => {
  it("a crashing panel shows why and leaves the page", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const Boom = () => {
      throw new Error("kaput");
    };
    render(<><ErrorBoundary name="test panel"><Boom /></ErrorBoundary><p>still here</p></>);
    expect(screen.getByTestId("error-boundary").textContent).toContain("kaput");
    expect(screen.getByText("still here")).toBeTruthy();
  });
});

describe("terminal staleness on the page", () => {
  it("a connected terminal whose heartbeats stop for three intervals shows stale", async () => {
    const { effectiveStatus } = await import("../src/components/MT4ConnectionStatus");
    const { emptyTerminal } = await import("../src/stores/mt4.store");
    const t = { ...emptyTerminal("demo-1"), status: "connected" as const, lastHeartbeatAt: 1_000, info: { heartbeat_interval_ms: 1_000 } };
    expect(effectiveStatus(t, 1_000 + 4_000)).toBe("connected");
    expect(effectiveStatus(t, 1_000 + 6_000)).toBe("stale");
    expect(effectiveStatus({ ...t, status: "disconnected" }, 1_000)).toBe("disconnected");
  });

  it("the equity curve draws one point per equity change", async () => {
    const { curvePoints } = await import("../src/components/EquityCurve");
    expect(curvePoints([])).toBe("");
    expect(curvePoints([{ t: 0, v: 10 }, { t: 1, v: 20 }]).split(" ")).toHaveLength(2);
    // a flat curve sits in the middle instead of dividing by zero
    expect(curvePoints([{ t: 0, v: 5 }, { t: 1, v: 5 }])).toBe("2.0,28.0 238.0,28.0");
  });
});
