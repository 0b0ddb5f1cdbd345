// A sortable table whose changed cells flash, virtualised past VIRTUALIZE_AFTER rows.
// Built from divs with ARIA table roles so virtual rows can be positioned; row position is
// set through CSSOM (React's style prop), which the page's CSP allows.

import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

export const VIRTUALIZE_AFTER = 200;
const ROW_HEIGHT = 34;

export interface Column<T> {
  key: string;
  label: string;
  /** Sort value. */
  value: (row: T) => string | number;
  text: (row: T) => string;
  sign?: (row: T) => string;
  numeric?: boolean;
}

export interface DataTableProps<T> {
  name: "positions" | "orders";
  rowPrefix: "position" | "order";
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  ticketOf: (row: T) => number;
  agentOf: (row: T) => string;
  actions: (row: T) => ReactNode;
  empty: string;
}

/** A cell that flashes when its text changes (two alternating classes restart the animation). */
const Cell = memo(function Cell({ testId, text, sign, label, numeric }: { testId: string; text: string; sign?: string; label: string; numeric?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const prev = useRef(text);
  const flip = useRef(false);
  useEffect(() => {
    const el = ref.current;
    if (prev.current !== text && el !== null) {
      flip.current = !flip.current;
      el.classList.remove("flash-a", "flash-b");
      el.classList.add(flip.current ? "flash-a" : "flash-b");
    }
    prev.current = text;
  }, [text]);
  const cls = `cell${numeric ? " num" : ""}${sign ? ` sign-${sign}` : ""}`;
  return (
    <div ref={ref} role="cell" className={cls} data-testid={testId} data-sign={sign} data-label={label}>
      {text}
    </div>
  );
});

function RowView<T>({ row, props }: { row: T; props: DataTableProps<T> }) {
  const ticket = props.ticketOf(row);
  return (
    <>
      {props.columns.map((c) => (
        <Cell key={c.key} testId={`${props.rowPrefix}-${ticket}-${c.key}`} text={c.text(row)} sign={c.sign?.(row)} label={c.label} numeric={c.numeric} />
      ))}
      <div role="cell" className="cell actions">
        {props.actions(row)}
      </div>
    </>
  );
}

type Sort = { key: string; dir: "asc" | "desc" };

export function DataTable<T>(props: DataTableProps<T>) {
  const [sort, setSort] = useState<Sort>({ key: "ticket", dir: "asc" });
  const sorted = useMemo(() => {
    const col = props.columns.find((c) => c.key === sort.key);
    if (!col) return props.rows;
    const mul = sort.dir === "asc" ? 1 : -1;
    return [...props.rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return c !== 0 ? c * mul : (props.ticketOf(a) - props.ticketOf(b)) * mul;
    });
  }, [props.rows, props.columns, sort, props]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = sorted.length > VIRTUALIZE_AFTER;
  const virtualizer = useVirtualizer({
    count: virtual ? sorted.length : 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  const toggle = (key: string) => setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "asc" }));

  const rowEl = (row: T, extra?: { index: number; start: number }) => (
    <div
      role="row"
      key={props.rowKey(row)}
      className={`row grid-${props.name}${extra ? " virtual" : ""}`}
      data-testid={`${props.rowPrefix}-row-${props.ticketOf(row)}`}
      data-agent={props.agentOf(row)}
      data-index={extra?.index}
      ref={extra ? virtualizer.measureElement : undefined}
      style={extra ? { transform: `translateY(${extra.start}px)` } : undefined}
    >
      <RowView row={row} props={props} />
    </div>
  );

  return (
    <div className={`table-scroll${virtual ? " virtual-scroll" : ""}`} ref={scrollRef}>
      <div role="table" className={`table table-${props.name}`} data-testid={`${props.name}-table`} aria-rowcount={sorted.length}>
        <div role="row" className={`row head grid-${props.name}`}>
          {props.columns.map((c) => (
            <div role="columnheader" key={c.key} className={`cell${c.numeric ? " num" : ""}`} aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}>
              <button type="button" className="sort" data-testid={`${props.name}-sort-${c.key}`} data-dir={sort.key === c.key ? sort.dir : undefined} onClick={() => toggle(c.key)}>
                {c.label}
                {sort.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
              </button>
            </div>
          ))}
          <div role="columnheader" className="cell actions">
            <span className="sr-only">Actions</span>
          </div>
        </div>
        {sorted.length === 0 && <div className="empty-row">{props.empty}</div>}
        {virtual ? (
          <div className="virtual-body" ref={(el) => { if (el) el.style.height = `${virtualizer.getTotalSize()}px`; }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = sorted[item.index];
              return row === undefined ? null : rowEl(row, { index: item.index, start: item.start });
            })}
          </div>
        ) : (
          sorted.map((row) => rowEl(row))
        )}
      </div>
    </div>
  );
}
