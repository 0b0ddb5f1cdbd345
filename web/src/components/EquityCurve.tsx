// A small equity line per account; SVG attributes only, so no inline style is needed.

import { memo } from "react";
import type { EquityPoint } from "../stores/mt4.store";
import { formatMoney } from "../lib/format";

const W = 240;
const H = 56;
const PAD = 2;

export function curvePoints(points: readonly EquityPoint[]): string {
  if (points.length === 0) return "";
  const vs = points.map((p) => p.v);
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  const span = hi - lo || 1;
  const n = points.length;
  return points
    .map((p, i) => {
      const x = n === 1 ? W - PAD : PAD + (i / (n - 1)) * (W - 2 * PAD);
      const y = hi === lo ? H / 2 : PAD + (1 - (p.v - lo) / span) * (H - 2 * PAD);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

// Redrawn only when the account's equity moved (the points array is replaced only then).
export const EquityCurve = memo(function EquityCurve({ agentId, points }: { agentId: string; points: readonly EquityPoint[] }) {
  const vs = points.map((p) => p.v);
  const lo = vs.length ? Math.min(...vs) : 0;
  const hi = vs.length ? Math.max(...vs) : 0;
  return (
    <figure className="equity">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        className="equity-svg"
        role="img"
        aria-label={`Equity this session, ${formatMoney(lo)} to ${formatMoney(hi)}`}
        data-testid={`equity-curve-${agentId}`}
        data-points={points.length}
      >
        <polyline points={curvePoints(points)} className="equity-line" fill="none" />
      </svg>
      <figcaption className="muted">
        {points.length < 2 ? "equity: collecting…" : hi === lo ? `equity flat at ${formatMoney(hi)}` : `equity ${formatMoney(lo)} – ${formatMoney(hi)}`}
      </figcaption>
    </figure>
  );
});
