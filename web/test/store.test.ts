import { afterEach, describe, expect, it, vi } from "vitest";
import {
  applyEvent,
  applyEvents,
  applyReply,
  beginResync,
  endResync,
  floatingOf,
  initialState,
  loseAllInFlight,
  loseOrder,
  startOrder,
  totalProfitOf,
  type Mt4State,
} from "../src/stores/mt4.store";
import { account, ev, pending, position, snapshot, status, eurusd } from "./fixtures";

const T0 = 1_000_000;
const run = (...events: unknown[]) => applyEvents(initialState, events, T0);
const tickets = (s: Mt4State, agent = "demo-1") => Object.keys(s.terminals[agent]?.positions ?? {}).map(Number).sort((a, b) => a - b);
const orderTickets = (s: Mt4State, agent = "demo-1") => Object.keys(s.terminals[agent]?.pending ?? {}).map(Number).sort((a, b) => a - b);

afterEach(() => vi.restoreAllMocks());

describe("events", () => {
  it("snapshot replaces the terminal's state", () => {
    let s = run(snapshot("demo-1", [position(1), position(2)], [pending(10)]));
    expect(tickets(s)).toEqual([1, 2]);
    expect(orderTickets(s)).toEqual([10]);
    s = applyEvent(s, snapshot("demo-1", [position(3)], []), T0);
    expect(tickets(s)).toEqual([3]);
    expect(orderTickets(s)).toEqual([]);
    expect(s.terminals["demo-1"]?.account?.equity).toBe(10_000);
  });

  it("snapshot of one terminal leaves the others alone", () => {
    const s = run(snapshot("demo-1", [position(1)]), snapshot("demo-2", [position(5)]), snapshot("demo-1", []));
    expect(tickets(s)).toEqual([]);
    expect(tickets(s, "demo-2")).toEqual([5]);
  });

  it("position opened, modified, closed", () => {
    let s = run(snapshot("demo-1", []), ev("position_opened", "demo-1", position(7)));
    expect(tickets(s)).toEqual([7]);
    s = applyEvent(s, ev("position_modified", "demo-1", { ticket: 7, stop_loss: 1.08, take_profit: 1.09 }), T0);
    expect(s.terminals["demo-1"]?.positions[7]?.stop_loss).toBe(1.08);
    expect(s.terminals["demo-1"]?.positions[7]?.take_profit).toBe(1.09);
    s = applyEvent(s, ev("position_closed", "demo-1", { ticket: 7, close_price: 1.09, profit: 3, net_profit: 3 }), T0);
    expect(tickets(s)).toEqual([]);
  });

  it("a repeated position_opened does not duplicate the row", () => {
    const s = run(ev("position_opened", "demo-1", position(7)), ev("position_opened", "demo-1", position(7, { lots: 0.3 })));
    expect(tickets(s)).toEqual([7]);
    expect(s.terminals["demo-1"]?.positions[7]?.lots).toBe(0.3);
  });

  it("partial close moves the remainder to the new ticket", () => {
    const s = run(
      snapshot("demo-1", [position(7, { lots: 1 })]),
      ev("position_partially_closed", "demo-1", {
        ticket: 7, new_ticket: 8, closed_lots: 0.4, remaining_lots: 0.6, close_price: 1.09, profit: 1, net_profit: 1,
      }),
    );
    expect(tickets(s)).toEqual([8]);
    expect(s.terminals["demo-1"]?.positions[8]?.lots).toBe(0.6);
  });

  it("positions_update moves prices and profit, ignores unknown tickets", () => {
    const before = run(snapshot("demo-1", [position(1), position(2)]));
    const s = applyEvent(before, ev("positions_update", "demo-1", {
      positions: [{ ticket: 1, current_price: 1.09, profit: 50, swap: -1 }, { ticket: 99, current_price: 1, profit: 1 }],
    }), T0);
    expect(s.terminals["demo-1"]?.positions[1]?.profit).toBe(50);
    expect(s.terminals["demo-1"]?.positions[1]?.swap).toBe(-1);
    // the unchanged row keeps its identity so React skips it
    expect(s.terminals["demo-1"]?.positions[2]).toBe(before.terminals["demo-1"]?.positions[2]);
    expect(tickets(s)).toEqual([1, 2]);
  });

  it("account_update replaces the account and feeds the equity curve", () => {
    let s = run(snapshot("demo-1", []));
    s = applyEvent(s, ev("account_update", "demo-1", account(10_050)), T0 + 1000);
    s = applyEvent(s, ev("account_update", "demo-1", account(9_990)), T0 + 2000);
    const t = s.terminals["demo-1"];
    expect(t?.account?.equity).toBe(9_990);
    expect(t?.equity.map((p) => p.v)).toEqual([10_000, 10_050, 9_990]);
  });

  it("pending orders: placed, modified, deleted, triggered", () => {
    let s = run(snapshot("demo-1", []), ev("order_placed", "demo-1", pending(20)), ev("order_placed", "demo-1", pending(21)));
    expect(orderTickets(s)).toEqual([20, 21]);
    s = applyEvent(s, ev("order_modified", "demo-1", { ticket: 20, price: 1.07, stop_loss: 1.06, take_profit: 1.1 }), T0);
    expect(s.terminals["demo-1"]?.pending[20]?.price).toBe(1.07);
    s = applyEvent(s, ev("order_deleted", "demo-1", { ticket: 20, reason: "cancelled" }), T0);
    expect(orderTickets(s)).toEqual([21]);
    s = applyEvent(s, ev("order_triggered", "demo-1", position(21)), T0);
    expect(orderTickets(s)).toEqual([]);
    expect(tickets(s)).toEqual([21]);
  });

  it("agent_status: status, reason, info and whether the gateway is online", () => {
    let s = run(status("demo-1", "connected", "current state", { ea_version: "1.2.0", currency: "USD", company: "Demo Broker", account_login: 5001 }));
    const t = s.terminals["demo-1"];
    expect(t?.status).toBe("connected");
    expect(t?.info.ea_version).toBe("1.2.0");
    expect(t?.gatewayOnline).toBe(true);
    s = applyEvent(s, status("demo-1", "disconnected", "the gateway is not connected to the platform"), T0);
    expect(s.terminals["demo-1"]?.status).toBe("disconnected");
    expect(s.terminals["demo-1"]?.gatewayOnline).toBe(false);
    s = applyEvent(s, status("demo-1", "stale", "no message for 3 heartbeats"), T0);
    expect(s.terminals["demo-1"]?.gatewayOnline).toBe(true);
    expect(s.terminals["demo-1"]?.statusReason).toBe("no message for 3 heartbeats");
  });

  it("heartbeat stamps the page clock and clears stale", () => {
    let s = run(status("demo-1", "stale", "quiet"));
    s = applyEvent(s, { type: "heartbeat", timestamp: "2026-12-01T10:00:05Z", agent_id: "demo-1", status: "connected" }, T0 + 5000);
    expect(s.terminals["demo-1"]?.lastHeartbeatAt).toBe(T0 + 5000);
    expect(s.terminals["demo-1"]?.status).toBe("connected");
  });

  it("hello, quote and symbol_info", () => {
    const s = run(
      ev("hello", "demo-1", { agent_id: "demo-1", account_login: 5001, server: "Demo-1", company: "Demo", currency: "EUR", leverage: 100, terminal_build: 1420, ea_version: "2.0", protocol_version: 1 }),
      ev("quote", "demo-1", { symbol: "EURUSD", bid: 1.085, ask: 1.0852 }),
      ev("symbol_info", "demo-1", eurusd),
    );
    const t = s.terminals["demo-1"];
    expect(t?.info.currency).toBe("EUR");
    expect(t?.status).toBe("connected");
    expect(t?.quotes.EURUSD?.ask).toBe(1.0852);
    expect(t?.symbols.EURUSD?.stops_level).toBe(10);
  });
});

describe("bad input", () => {
  const bad: unknown[] = [
    null,
    "snapshot",
    42,
    [],
    { type: "who_knows", agent_id: "demo-1", data: {} },
    { agent_id: "demo-1" },
    { type: "position_opened", agent_id: "demo-1", data: { ...position(1), ticket: -5 } },
    { type: "position_opened", agent_id: "demo-1", data: { ...position(1), lots: "0.1" } },
    { type: "position_opened", agent_id: "../etc", data: position(1) },
    { type: "snapshot", agent_id: "demo-1", data: { account: account(), positions: [position(1), { ticket: 2 }] } },
    { type: "account_update", agent_id: "demo-1", data: { ...account(), equity: null } },
    { type: "positions_update", agent_id: "demo-1", data: { positions: "all" } },
    { type: "agent_status", agent_id: "demo-1", status: "exploded" },
    { type: "symbol_info", agent_id: "demo-1", data: { ...eurusd, point: 0 } },
    { type: "position_partially_closed", agent_id: "demo-1", data: { ticket: 1, new_ticket: 1, remaining_lots: 0.1 } },
  ];

  it("is counted and logged, and changes nothing else", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const good = run(snapshot("demo-1", [position(1)]));
    const s = applyEvents(good, bad, T0);
    expect(s.rejected.count).toBe(bad.length);
    expect(s.terminals).toBe(good.terminals);
    expect(warn).toHaveBeenCalledTimes(bad.length);
  });

  it("terminal text stays as given (rendering escapes it)", () => {
    const comment = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const s = run(ev("position_opened", "demo-1", position(1, { comment })));
    expect(s.terminals["demo-1"]?.positions[1]?.comment).toBe(comment);
  });
});

describe("reconnect", () => {
  it("rebuilds without stale rows, duplicates or an empty moment", () => {
    let s = run(
      status("demo-1", "connected"), snapshot("demo-1", [position(1), position(2)]),
      status("demo-2", "connected"), snapshot("demo-2", [position(5)]),
      status("gone-1", "connected"), snapshot("gone-1", [position(9)]),
    );
    // the link drops; while it was down, #2 closed and #3 opened on demo-1, gone-1 was removed
    s = beginResync(s);
    expect(tickets(s)).toEqual([1, 2]); // still on screen: no flicker to empty
    s = applyEvent(s, status("demo-1", "connected"), T0);
    s = applyEvent(s, snapshot("demo-1", [position(1), position(3)]), T0);
    expect(tickets(s)).toEqual([1, 3]);
    s = applyEvent(s, status("demo-2", "disconnected", "terminal closed"), T0); // no account any more
    expect(tickets(s, "demo-2")).toEqual([5]);
    s = endResync(s);
    expect(Object.keys(s.terminals).sort()).toEqual(["demo-1", "demo-2"]);
    expect(tickets(s)).toEqual([1, 3]);
    expect(tickets(s, "demo-2")).toEqual([]);
    expect(s.resync).toBeNull();
  });

  it("events that arrive twice across a reconnect leave one row", () => {
    let s = run(snapshot("demo-1", [position(1)]), ev("position_opened", "demo-1", position(2)));
    s = beginResync(s);
    s = applyEvents(s, [status("demo-1", "connected"), snapshot("demo-1", [position(1), position(2)]), ev("position_opened", "demo-1", position(2))], T0);
    s = endResync(s);
    expect(tickets(s)).toEqual([1, 2]);
  });
});

describe("commands and replies", () => {
  const req = { agent_id: "demo-1", command: "execute_trade", request_id: "web-abc", data: { symbol: "EURUSD", type: "buy", lots: 0.1 } };

  it("a reply is matched to its order by request_id", () => {
    let s = startOrder(initialState, req, "BUY 0.10 EURUSD", T0);
    expect(s.orders["web-abc"]?.state).toBe("in_flight");
    s = applyReply(s, { type: "trade_executed", request_id: "web-other", success: true, data: { ticket: 1, open_price: 1 } }, T0);
    expect(s.orders["web-abc"]?.state).toBe("in_flight");
    s = applyReply(s, { type: "trade_executed", request_id: "web-abc", success: true, data: { ticket: 123, open_price: 1.08503 } }, T0);
    expect(s.orders["web-abc"]?.state).toBe("done");
    expect(s.orders["web-abc"]?.reply?.data?.ticket).toBe(123);
  });

  it("a reply arriving as an mt4_event is matched too", () => {
    let s = startOrder(initialState, req, "x", T0);
    s = applyEvent(s, { type: "trade_executed", request_id: "web-abc", agent_id: "demo-1", success: false, error: { code: "not_enough_money", message: "Not enough money for this trade", mt4_error: 134 } }, T0);
    expect(s.orders["web-abc"]?.state).toBe("failed");
    expect(s.orders["web-abc"]?.reply?.error?.mt4_error).toBe(134);
  });

  it("a lost reply, then a retry with the same request_id, gets the first result", () => {
    let s = startOrder(initialState, req, "BUY", T0);
    s = loseAllInFlight(s, "the connection dropped");
    expect(s.orders["web-abc"]?.state).toBe("lost");
    s = startOrder(s, req, "BUY", T0 + 10);
    const o = s.orders["web-abc"];
    expect(o?.state).toBe("in_flight");
    expect(o?.attempts).toBe(2);
    expect(o?.request.request_id).toBe("web-abc");
    expect(Object.keys(s.orders)).toEqual(["web-abc"]);
    expect(s.orderLog).toEqual(["web-abc"]);
    s = applyReply(s, { type: "trade_executed", request_id: "web-abc", success: true, data: { ticket: 5, open_price: 1.1 } }, T0);
    expect(s.orders["web-abc"]?.state).toBe("done");
  });

  it("a late reply resolves a lost order", () => {
    let s = startOrder(initialState, req, "BUY", T0);
    s = loseAllInFlight(s, "the connection dropped");
    s = applyReply(s, { type: "command_result", command: "close_position", request_id: "web-abc", success: true, data: { ticket: 7 } }, T0);
    expect(s.orders["web-abc"]?.state).toBe("done");
  });

  it("a malformed reply is counted, not applied", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    let s = startOrder(initialState, req, "BUY", T0);
    s = applyReply(s, { type: "trade_executed", request_id: "web-abc", success: false }, T0);
    expect(s.orders["web-abc"]?.state).toBe("in_flight");
    expect(s.rejected.count).toBe(1);
    expect(warn).toHaveBeenCalled();
  });

  it("backend error replies (type error) fail the order", () => {
    let s = startOrder(initialState, req, "BUY", T0);
    s = applyReply(s, { type: "error", code: "invalid_message", message: "lots: must be > 0", request_id: "web-abc" }, T0);
    expect(s.orders["web-abc"]?.state).toBe("failed");
    expect(s.orders["web-abc"]?.reply?.error?.code).toBe("invalid_message");
  });
});

describe("totals", () => {
  it("the total equals the sum of the rows; floating prefers the account's figure", () => {
    const s = run(snapshot("demo-1", [position(1, { profit: 1.1 }), position(2, { profit: -0.35 }), position(3, { profit: 2.2 })], [], account(10_000, { profit: 2.95 })));
    const t = s.terminals["demo-1"]!;
    expect(totalProfitOf(Object.values(t.positions))).toBe(2.95);
    expect(floatingOf(t)).toBe(2.95);
    const noProfit = run(snapshot("demo-1", [position(1, { profit: -0.35, swap: -0.1 })], [], account(10_000, { profit: null })));
    expect(floatingOf(noProfit.terminals["demo-1"]!)).toBe(-0.45);
  });
});

describe("orders across a reload of the tab", () => {
  it("unsettled orders come back as lost with their request_id; settled ones do not", async () => {
    const { restoreOrders, unsettledJson } = await import("../src/stores/orderMemory");
    const req = (id: string) => ({ agent_id: "demo-1", command: "close_position", request_id: id, data: { ticket: 7 } });
    let s = startOrder(initialState, req("web-a"), "Close #7", T0);
    s = startOrder(s, req("web-b"), "Close #8", T0);
    s = startOrder(s, req("web-c"), "Close #9", T0);
    s = applyReply(s, { type: "command_result", command: "close_position", request_id: "web-c", success: true, data: { ticket: 9 } }, T0);
    s = loseOrder(s, "web-b", "the connection dropped");
    const back = restoreOrders(unsettledJson(s));
    expect(back.orderLog).toEqual(["web-b", "web-a"]);
    expect(back.orders["web-a"]?.state).toBe("lost");
    expect(back.orders["web-a"]?.request).toEqual(req("web-a"));
    expect(back.orders["web-a"]?.lostReason).toMatch(/reloaded/);
    // a retry after the reload reuses the id
    const again = startOrder({ ...initialState, ...back }, back.orders["web-a"]!.request, "Close #7", T0);
    expect(again.orders["web-a"]?.attempts).toBe(2);
  });

  it("tampered storage is ignored", async () => {
    const { restoreOrders } = await import("../src/stores/orderMemory");
    expect(restoreOrders("{not json")).toEqual({ orders: {}, orderLog: [] });
    expect(restoreOrders(JSON.stringify([{ request: { agent_id: "a", command: "x", request_id: "bad id!", data: {} }, summary: "", attempts: 1, sentAt: 0 }])).orderLog).toEqual([]);
    expect(restoreOrders(JSON.stringify({ a: 1 })).orderLog).toEqual([]);
  });
});
