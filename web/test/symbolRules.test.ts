import { describe, expect, it } from "vitest";
import type { SymbolInfo } from "../src/protocol";
import { checkTicket, parseDecimal, pointsToPrice, type TicketInput } from "../src/lib/symbolRules";
import { eurusd } from "./fixtures";

const info = eurusd as SymbolInfo;
const quote = { symbol: "EURUSD", bid: 1.085, ask: 1.0852 };
const base: TicketInput = { agentId: "demo-1", symbol: "EURUSD", type: "buy", lots: "0.10", price: "", stopMode: "price", stopLoss: "", takeProfit: "", comment: "" };
const check = (over: Partial<TicketInput>, i: SymbolInfo | null = info, q: typeof quote | null = quote) => checkTicket({ ...base, ...over }, i, q);

describe("trade ticket checks", () => {
  it("a plain market order passes and becomes the command data", () => {
    const r = check({});
    expect(r.errors).toEqual({});
    expect(r.data).toEqual({ symbol: "EURUSD", type: "buy", lots: 0.1, stop_loss: 0, take_profit: 0, comment: "" });
  });

  it("volume: empty, not a number, below min, above max, off step", () => {
    expect(check({ lots: "" }).errors.lots).toMatch(/Enter a volume/);
    expect(check({ lots: "abc" }).errors.lots).toMatch(/not a number/);
    expect(check({ lots: "0" }).errors.lots).toMatch(/greater than 0/);
    expect(check({ lots: "0.001" }).errors.lots).toMatch(/outside what EURUSD allows \(0.01 to 50.00 lots\)/);
    expect(check({ lots: "51" }).errors.lots).toMatch(/outside/);
    expect(check({ lots: "0.015" }).errors.lots).toMatch(/not a multiple of the lot step 0.01/);
    expect(check({ lots: "0.015" }).data).toBeNull();
    expect(check({ lots: "0,2" }).data?.lots).toBe(0.2);
  });

  it("pending orders need a price on the right side of the market", () => {
    expect(check({ type: "buy_limit" }).errors.price).toMatch(/needs a price/);
    expect(check({ type: "buy_limit", price: "1.0860" }).errors.price).toMatch(/below the ask 1.08520/);
    expect(check({ type: "buy_limit", price: "1.0800" }).data?.price).toBe(1.08);
    expect(check({ type: "sell_limit", price: "1.0840" }).errors.price).toMatch(/above the bid/);
    expect(check({ type: "buy_stop", price: "1.08525" }).errors.price).toMatch(/at least 10 points above the ask/);
    expect(check({ type: "buy_stop", price: "1.0900" }).errors).toEqual({});
    expect(check({ type: "sell_stop", price: "1.0900" }).errors.price).toMatch(/below the bid/);
    expect(check({ type: "sell_stop", price: "1.0800" }).errors).toEqual({});
  });

  it("stops as prices: wrong side or too close is refused with the reason", () => {
    expect(check({ stopLoss: "1.0860" }).errors.stopLoss).toMatch(/Stop loss 1.08600 must be at least 10 points below 1.08500/);
    expect(check({ takeProfit: "1.0840" }).errors.takeProfit).toMatch(/Take profit .* above/);
    expect(check({ type: "sell", stopLoss: "1.0800" }).errors.stopLoss).toMatch(/above/);
    const ok = check({ stopLoss: "1.0800", takeProfit: "1.0900" });
    expect(ok.data).toMatchObject({ stop_loss: 1.08, take_profit: 1.09 });
  });

  it("stops as points turn into prices from the entry", () => {
    const r = check({ stopMode: "points", stopLoss: "200", takeProfit: "300" });
    // buy enters at the ask 1.08520
    expect(r.data).toMatchObject({ stop_loss: 1.0832, take_profit: 1.0882 });
    const sell = check({ type: "sell", stopMode: "points", stopLoss: "200", takeProfit: "300" });
    expect(sell.data).toMatchObject({ stop_loss: 1.087, take_profit: 1.082 });
    const pend = check({ type: "buy_limit", price: "1.08", stopMode: "points", stopLoss: "100" });
    expect(pend.data?.stop_loss).toBe(1.079);
    expect(check({ stopMode: "points", stopLoss: "5" }).errors.stopLoss).toMatch(/at least 10 points/);
    expect(check({ stopMode: "points", stopLoss: "100" }, null).errors.stopLoss).toMatch(/point size .* not known/);
    expect(check({ stopMode: "points", stopLoss: "100" }, info, null).errors.stopLoss).toMatch(/No live price/);
    expect(pointsToPrice(true, 1.1, 0, info, true)).toBe(0);
  });

  it("without the symbol's rules, basic checks still apply and a note says so", () => {
    const r = check({ symbol: "XAUUSD", lots: "0.37" }, null, null);
    expect(r.errors).toEqual({});
    expect(r.notes.join(" ")).toMatch(/rules for XAUUSD have not arrived/);
    expect(check({ symbol: "bad symbol!" }, null, null).errors.symbol).toMatch(/Enter a symbol/);
    expect(check({ agentId: "" }).errors.agent).toMatch(/account/);
  });

  it("a symbol closed to trading, a long comment", () => {
    expect(check({}, { ...info, trade_allowed: false }).errors.symbol).toMatch(/not allowed/);
    expect(check({ comment: "x".repeat(32) }).errors.comment).toMatch(/at most 31 characters of a comment \(this one has 32\)/);
    expect(check({ comment: "x".repeat(31) }).errors).toEqual({});
  });

  it("parses what people type", () => {
    expect(parseDecimal(" 1.5 ")).toBe(1.5);
    expect(parseDecimal(".5")).toBe(0.5);
    expect(parseDecimal("1e3")).toBe("bad");
    expect(parseDecimal("0x10")).toBe("bad");
    expect(parseDecimal("")).toBe("empty");
  });
});
