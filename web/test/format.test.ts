import { describe, expect, it } from "vitest";
import { describeOutcome, formatAge, formatCountdown, formatLots, formatMoney, formatPercent, formatPrice, formatSigned, signOf } from "../src/lib/format";
import type { OrderRecord } from "../src/stores/mt4.store";
import type { Reply } from "../src/protocol";

const order = (reply: Reply | null, extra: Partial<OrderRecord> = {}): OrderRecord => ({
  request: { agent_id: "demo-1", command: "execute_trade", request_id: "web-1", data: { type: "buy" } },
  summary: "BUY 0.10 EURUSD",
  state: reply === null ? "in_flight" : reply.success ? "done" : "failed",
  attempts: 1,
  sentAt: 0,
  reply,
  lostReason: "",
  ...extra,
});
const ok = (command: string, data: Record<string, unknown>): Reply => ({ type: command === "execute_trade" ? "trade_executed" : "command_result", request_id: "web-1", success: true, error: null, command, data });
const fail = (code: string, message: string, mt4: number | null = null): Reply => ({ type: "trade_executed", request_id: "web-1", success: false, error: { code, message, mt4_error: mt4 }, command: "execute_trade", data: null });

describe("formatting", () => {
  it("numbers", () => {
    expect(formatMoney(1234.5)).toBe("1,234.50");
    expect(formatMoney(-0.001)).toBe("0.00");
    expect(formatMoney(null)).toBe("—");
    expect(formatSigned(3)).toBe("+3.00");
    expect(formatSigned(-3)).toBe("-3.00");
    expect(formatPrice(1.08503, 5)).toBe("1.08503");
    expect(formatPrice(1.1)).toBe("1.10");
    expect(formatPrice(1.123456)).toBe("1.12346");
    expect(formatLots(0.1)).toBe("0.10");
    expect(formatPercent(0)).toBe("—");
    expect(formatPercent(2500)).toBe("2,500.00 %");
    expect(signOf(0.004)).toBe("zero");
    expect(signOf(-1)).toBe("neg");
    expect(signOf(1)).toBe("pos");
  });

  it("ages and countdowns", () => {
    expect(formatAge(null)).toBe("never");
    expect(formatAge(4_900)).toBe("4 s ago");
    expect(formatAge(125_000)).toBe("2 min 5 s ago");
    expect(formatCountdown(600_000)).toBe("10:00");
    expect(formatCountdown(61_001)).toBe("1:02");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("outcomes in words", () => {
    expect(describeOutcome(order(null))).toMatch(/Sending/);
    expect(describeOutcome(order(ok("execute_trade", { ticket: 123, open_price: 1.08503 })))).toBe("Filled #123 at 1.08503");
    expect(describeOutcome(order(fail("not_enough_money", "Not enough money for this trade", 134)))).toBe("Not enough money for this trade (MT4 error 134)");
    expect(describeOutcome(order(fail("remote_trading_disabled", "remote trading is off")))).toBe("Refused by the gateway's risk guard: remote trading is off");
    expect(describeOutcome(order(fail("max_lots_exceeded", "0.5 lots is above the limit of 0.2")))).toMatch(/^Refused by the gateway's risk guard/);
    expect(describeOutcome(order(fail("agent_offline", "x")))).toMatch(/gateway .* not connected/);
    expect(describeOutcome(order(ok("close_position", { ticket: 7, close_price: 1.09, closed_lots: 0.05, new_ticket: 8 })))).toBe("Closed 0.05 lots of #7 at 1.09; the rest is #8");
    expect(describeOutcome(order(ok("close_all", { closed: [{}, {}], failed: [] })))).toBe("Closed 2 position(s)");
    expect(describeOutcome(order(null, { state: "lost", lostReason: "the connection dropped" }))).toMatch(/No reply: the connection dropped.*retry/);
  });
});
