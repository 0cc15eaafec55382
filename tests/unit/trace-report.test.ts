import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { parseDecimal } from "../../src/decimal.ts";
import { parseJsonExact } from "../../src/trace/parse.ts";
import { crossCheck, reportTrace } from "../../src/trace/report.ts";

const CONFIG = loadConfig(undefined).trace;

/** A two-event trace whose events sum to `total` exactly (first event half, or the whole when odd). */
function traceOf(first: string, second: string, total: string) {
  return parseJsonExact(
    `{"version":"1.0","start_time":"2025-01-01T00:00:00Z","compute_events":[{"step":10,"flops":${first},"timestamp":"2025-01-01T01:00:00Z"},{"step":20,"flops":${second},"timestamp":"2025-01-01T02:00:00Z"}],"summary":{"total_flops":${total},"num_steps":2}}`,
    "t",
  );
}

const place = (first: string, second: string, total: string) =>
  Object.fromEntries(reportTrace("t", traceOf(first, second, total), CONFIG).thresholds.map((t) => [t.id, t]));

describe("trace report: thresholds are placed exactly", () => {
  test("10^23: at the GPAI criterion (not met), below the others", () => {
    const r = place("5e22", "5e22", "1e23");
    expect([r.eu_gpai_guidelines!.position, r.eu_gpai_guidelines!.meets]).toEqual(["at", false]);
    expect([r.eu_ai_act_art51!.position, r.ca_sb53_frontier!.position]).toEqual(["below", "below"]);
    expect(r.eu_ai_act_art51!.margin.exact).toBe("1/100");
    expect(r.eu_gpai_guidelines!.first_crossing).toBeNull();
  });

  test('10^25: at the EU AI Act presumption, which it does not meet ("greater than")', () => {
    const r = place("5e24", "5e24", "1e25");
    expect([r.eu_ai_act_art51!.position, r.eu_ai_act_art51!.meets]).toEqual(["at", false]);
    expect(r.eu_ai_act_art51!.first_crossing).toBeNull();
    expect([r.eu_gpai_guidelines!.position, r.eu_gpai_guidelines!.meets]).toEqual(["above", true]);
    expect(r.eu_gpai_guidelines!.first_crossing).toEqual({ index: 0, step: "10", cumulative_flops: "5e+24" });
    expect(r.ca_sb53_frontier!.position).toBe("below");
  });

  test("10^25 + 1: above the EU AI Act presumption, crossed at the second event", () => {
    const r = place("5e24", "5000000000000000000000001", "10000000000000000000000001");
    expect([r.eu_ai_act_art51!.position, r.eu_ai_act_art51!.meets]).toEqual(["above", true]);
    expect(r.eu_ai_act_art51!.margin.exact).toBe("10000000000000000000000001/10000000000000000000000000");
    expect(r.eu_ai_act_art51!.first_crossing).toEqual({ index: 1, step: "20", cumulative_flops: "10000000000000000000000001" });
    expect(r.ca_sb53_frontier!.position).toBe("below");
  });

  test("10^26: above EU, at (not meeting) California SB 53", () => {
    const r = place("5e25", "5e25", "1e26");
    expect([r.ca_sb53_frontier!.position, r.ca_sb53_frontier!.meets]).toEqual(["at", false]);
    expect(r.eu_ai_act_art51!.first_crossing!.step).toBe("10"); // 5e25 alone exceeds 1e25
    expect(r.eu_ai_act_art51!.margin).toEqual({ exact: "10", approx: "10" });
  });

  test("a greater_or_equal threshold is met at equality", () => {
    const cfg = { ...CONFIG, thresholds: { x: { ...CONFIG.thresholds.eu_ai_act_art51!, comparison: "greater_or_equal" as const } } };
    const [t] = reportTrace("t", traceOf("5e24", "5e24", "1e25"), cfg).thresholds;
    expect([t!.position, t!.meets, t!.first_crossing?.step]).toEqual(["at", true, "20"]);
  });

  test("a trace with no numeric total is refused", () => {
    expect(() => reportTrace("t", parseJsonExact('{"summary":{}}', "t"), CONFIG)).toThrow(/total_flops/);
  });
});

describe("trace report: 6·N·D cross-check", () => {
  const d = parseDecimal;
  test("within the factor, and beyond it either way (exact at the boundary)", () => {
    expect(crossCheck(d("4.2e20"), d("7e9"), d("1e10"), d("2")).disagrees).toBe(false);
    expect(crossCheck(d("8.4e20"), d("7e9"), d("1e10"), d("2")).disagrees).toBe(false); // exactly 2×
    expect(crossCheck(d("840000000000000000001"), d("7e9"), d("1e10"), d("2")).disagrees).toBe(true);
    expect(crossCheck(d("2.1e20"), d("7e9"), d("1e10"), d("2")).disagrees).toBe(false); // exactly ½
    expect(crossCheck(d("2.09e20"), d("7e9"), d("1e10"), d("2")).disagrees).toBe(true);
    expect(crossCheck(d("4.2e20"), d("7e9"), d("1e10"), d("2")).ratio.exact).toBe("1");
  });
});
