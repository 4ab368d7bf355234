import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent } from 'react';
import type { Seat } from '../../api/types';
import { arrowDirections, boundsOf, neighbour } from './geometry';

/** `mine`: held by the buyer's own hold (resume it from the page), not by another buyer. */
export type SeatState = Seat['status'] | 'selected' | 'mine';

interface Props {
  seats: Seat[];
  selected: ReadonlySet<string>;
  mine?: ReadonlySet<string>;
  onToggle: (seat: Seat) => void;
  /** e.g. "€85.00", read out with each seat. */
  priceLabel: string;
  label: string;
}

const radius = 0.38;
/** Each seat is tapped anywhere in its pitch (1 unit), not only on the dot: the target is the whole place. */
const hitRadius = 0.5;
const pad = 1.6;
const zoomMin = 1;
const zoomMax = 8;
/** WCAG 2.2 target size (minimum): below this many pixels a seat's place is too small to tap. */
export const targetPxMin = 24;
/** What a tap on a map too small to pick from zooms to, per seat. */
const comfortablePx = 32;
/** However large the screen, a seat's place is at most this wide: a small section does not blow up. */
export const seatPxMax = 34;
const doubleTapMs = 350;
const doubleTapDistancePx = 30;

const noSeats: ReadonlySet<string> = new Set();
const stateOf = (seat: Seat, selected: ReadonlySet<string>, mine: ReadonlySet<string>): SeatState =>
  selected.has(seat.id) ? 'selected' : mine.has(seat.id) && seat.status === 'held' ? 'mine' : seat.status;
const stateWords: Record<SeatState, string> = { available: 'available', held: 'held by another buyer', sold: 'sold', selected: 'selected', mine: 'on hold for you' };
const legendWords: Record<SeatState, string> = { available: 'Available', selected: 'Selected', mine: 'Yours, on hold', held: 'Held', sold: 'Sold' };

/**
 * The seats of one reserved section drawn from their coordinates, opened fitted to the section and
 * never larger than `seatPxMax` a seat. Mouse/touch: tap to pick, drag to pan, pinch, double-tap,
 * wheel or the buttons to zoom; while the seats are smaller than a finger (`targetPxMin`), a tap or the
 * first zoom goes straight to a size one can pick from, centred where tapped. Keyboard: Tab into the
 * map, arrow keys move between seats, Enter or Space picks; each seat announces its row, number,
 * price and state.
 */
export function SeatMap({ seats, selected, mine = noSeats, onToggle, priceLabel, label }: Props) {
  const bounds = useMemo(() => boundsOf(seats), [seats]);
  const width = bounds.maxX - bounds.minX + 2 * pad;
  const height = bounds.maxY - bounds.minY + 2 * pad + 1.2;
  const [view, setView] = useState({ zoom: 1, cx: 0.5, cy: 0.5 });
  const [focusId, setFocusId] = useState<string | undefined>(undefined);
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<{ x: number; y: number; cx: number; cy: number; moved: boolean } | null>(null);
  const seatRefs = useRef(new Map<string, SVGGElement>());

  // The map shows a window of the whole plan: zoom picks its size, (cx, cy) its centre, as fractions.
  const viewW = width / view.zoom;
  const viewH = height / view.zoom;
  const clampCentre = (c: number, zoom: number) => Math.min(1 - 0.5 / zoom, Math.max(0.5 / zoom, c));
  const vx = bounds.minX - pad + clampCentre(view.cx, view.zoom) * width - viewW / 2;
  const vy = bounds.minY - pad - 1.2 + clampCentre(view.cy, view.zoom) * height - viewH / 2;

  const zoomBy = (factor: number) => setView((v) => {
    const zoom = Math.min(zoomMax, Math.max(zoomMin, v.zoom * factor));
    return { zoom, cx: clampCentre(v.cx, zoom), cy: clampCentre(v.cy, zoom) };
  });
  /** Pixels per plan unit (one seat's place) as drawn now. */
  const seatPx = () => svgRef.current?.getScreenCTM()?.a ?? comfortablePx;
  const tooSmall = () => seatPx() < targetPxMin;
  /** Zooms to `zoom`, centred on the plan point under the screen point `at` when given. */
  const zoomTo = (zoom: number, at?: { x: number; y: number }) => {
    const svg = svgRef.current;
    const matrix = svg?.getScreenCTM()?.inverse();
    const point = at && svg && matrix ? new DOMPoint(at.x, at.y).matrixTransform(matrix) : undefined;
    setView((v) => {
      const z = Math.min(zoomMax, Math.max(zoomMin, zoom));
      const cx = point ? (point.x - (bounds.minX - pad)) / width : v.cx;
      const cy = point ? (point.y - (bounds.minY - pad - 1.2)) / height : v.cy;
      return { zoom: z, cx: clampCentre(cx, z), cy: clampCentre(cy, z) };
    });
  };
  /** The zoom at which a seat's place is comfortably tappable. */
  const readableZoom = () => (view.zoom * comfortablePx) / seatPx();
  const zoomIn = () => (tooSmall() ? zoomTo(readableZoom()) : zoomBy(1.5));

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      zoomBy(e.deltaY < 0 ? 1.25 : 0.8);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, []);

  const rowLabels = useMemo(() => {
    const rows = new Map<string, Seat>();
    for (const seat of seats) {
      const first = rows.get(seat.row);
      if (!first || seat.x < first.x) rows.set(seat.row, seat);
    }
    return [...rows.values()];
  }, [seats]);

  const tabStop = focusId ?? seats.find((s) => s.status === 'available')?.id ?? seats[0]?.id;

  const onKeyDown = (e: KeyboardEvent<SVGGElement>, seat: Seat) => {
    const direction = arrowDirections[e.key];
    if (direction) {
      e.preventDefault();
      const next = neighbour(seats, seat, direction);
      if (next) {
        setFocusId(next.id);
        seatRefs.current.get(next.id)?.focus();
      }
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (seat.status === 'available' || selected.has(seat.id)) onToggle(seat);
    } else if (e.key === '+' || e.key === '=') zoomBy(1.25);
    else if (e.key === '-') zoomBy(0.8);
  };

  // Fingers on the map: one drags, two pinch (the zoom follows the change in their distance).
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<{ distance: number; zoom: number } | null>(null);
  const lastTap = useRef<{ at: number; x: number; y: number } | null>(null);
  const spread = () => {
    const [a, b] = [...pointers.current.values()];
    return a && b ? { distance: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } } : undefined;
  };

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const two = spread();
    if (two) {
      pinch.current = { distance: two.distance, zoom: view.zoom };
      if (drag.current) drag.current.moved = true;
      return;
    }
    drag.current = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy, moved: false };
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (pointers.current.has(e.pointerId)) pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const two = spread();
    if (pinch.current && two) {
      zoomTo(pinch.current.zoom * (two.distance / pinch.current.distance), two.mid);
      return;
    }
    const start = drag.current;
    const svg = svgRef.current;
    if (!start || !svg || view.zoom === 1) return;
    const dx = e.clientX - start.x;
    const dy = e.clientY - start.y;
    if (!start.moved && Math.hypot(dx, dy) < 6) return;
    if (!start.moved) svg.setPointerCapture(e.pointerId);
    start.moved = true;
    const rect = svg.getBoundingClientRect();
    setView((v) => ({ ...v, cx: clampCentre(start.cx - dx / rect.width / v.zoom, v.zoom), cy: clampCentre(start.cy - dy / rect.height / v.zoom, v.zoom) }));
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    pointers.current.delete(e.pointerId);
    if (pointers.current.size < 2) pinch.current = null;
    // A drag that moved (or a pinch) is not a pick: the click that follows is swallowed below.
    setTimeout(() => {
      if (pointers.current.size === 0) drag.current = null;
    }, 0);
  };
  /** A tap on a map too small to pick from zooms in where it landed; a second tap soon after zooms further. */
  const zoomedByTap = (x: number, y: number): boolean => {
    const now = performance.now();
    const previous = lastTap.current;
    lastTap.current = { at: now, x, y };
    if (previous && now - previous.at < doubleTapMs && Math.hypot(x - previous.x, y - previous.y) < doubleTapDistancePx) {
      lastTap.current = null;
      zoomTo(view.zoom * 2, { x, y });
      return true;
    }
    if (!tooSmall()) return false;
    zoomTo(readableZoom(), { x, y });
    return true;
  };
  const onSeatClick = (seat: Seat, e: MouseEvent<SVGGElement>) => {
    e.stopPropagation();
    if (drag.current?.moved) return;
    setFocusId(seat.id);
    // A keyboard's click (Enter on a focused seat) has no position: it always picks.
    if (e.detail > 0 && tooSmall() && zoomedByTap(e.clientX, e.clientY)) return;
    if (e.detail > 0) lastTap.current = { at: performance.now(), x: e.clientX, y: e.clientY };
    if (seat.status === 'available' || selected.has(seat.id)) onToggle(seat);
  };
  const onMapClick = (e: MouseEvent<SVGSVGElement>) => {
    if (!drag.current?.moved) zoomedByTap(e.clientX, e.clientY);
  };

  return (
    <div className="seatmap">
      <div className="seatmap-tools" role="group" aria-label="Map zoom">
        <button type="button" className="icon-button" onClick={zoomIn} aria-label="Zoom in" disabled={view.zoom >= zoomMax}>+</button>
        <button type="button" className="icon-button" onClick={() => zoomBy(0.8)} aria-label="Zoom out" disabled={view.zoom <= zoomMin}>−</button>
        <button type="button" className="text-button" onClick={() => setView({ zoom: 1, cx: 0.5, cy: 0.5 })} disabled={view.zoom === 1}>Reset</button>
        <span className="hint">Tap or pinch to zoom · drag to move · arrow keys to move between seats · Enter to pick</span>
      </div>
      <svg
        ref={svgRef}
        className="seatmap-canvas"
        viewBox={`${vx} ${vy} ${viewW} ${viewH}`}
        preserveAspectRatio="xMidYMid meet"
        role="group"
        aria-label={label}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onClick={onMapClick}
        style={{ aspectRatio: `${width} / ${height}`, maxWidth: `${width * seatPxMax}px` }}
      >
        <rect className="stage" x={bounds.minX + (bounds.maxX - bounds.minX) * 0.2} y={bounds.minY - pad - 0.9} width={(bounds.maxX - bounds.minX) * 0.6 || 1} height={0.8} rx={0.2} />
        <text className="stage-label" x={(bounds.minX + bounds.maxX) / 2} y={bounds.minY - pad - 0.35} textAnchor="middle">STAGE</text>
        {rowLabels.map((seat) => (
          <text key={seat.row} className="row-label" x={seat.x - 0.9} y={seat.y + 0.14} textAnchor="end" aria-hidden="true">{seat.row}</text>
        ))}
        {seats.map((seat) => {
          const state = stateOf(seat, selected, mine);
          return (
            <g
              key={seat.id}
              ref={(el) => {
                if (el) seatRefs.current.set(seat.id, el);
                else seatRefs.current.delete(seat.id);
              }}
              className={`seat seat-${state}`}
              role="checkbox"
              aria-checked={state === 'selected'}
              aria-disabled={state === 'held' || state === 'sold' || state === 'mine'}
              aria-label={`Row ${seat.row}, seat ${seat.number}, ${priceLabel}, ${stateWords[state]}`}
              data-seat={seat.label}
              data-state={state}
              tabIndex={seat.id === tabStop ? 0 : -1}
              onKeyDown={(e) => onKeyDown(e, seat)}
              onFocus={() => setFocusId(seat.id)}
              onClick={(e) => onSeatClick(seat, e)}
            >
              <circle className="seat-hit" cx={seat.x} cy={seat.y} r={hitRadius} />
              <circle cx={seat.x} cy={seat.y} r={radius} />
              {state === 'sold' && <path d={`M${seat.x - 0.17} ${seat.y - 0.17}l0.34 0.34m0 -0.34l-0.34 0.34`} className="seat-mark" />}
              {(state === 'selected' || state === 'mine') && <path d={`M${seat.x - 0.17} ${seat.y}l0.12 0.13l0.23 -0.26`} className="seat-mark" />}
            </g>
          );
        })}
      </svg>
      <ul className="legend" aria-label="Legend">
        {(['available', 'selected', ...(mine.size > 0 ? ['mine' as const] : []), 'held', 'sold'] as const).map((state) => (
          <li key={state}><svg viewBox="-1 -1 2 2" aria-hidden="true" className={`seat seat-${state}`}><circle r="0.8" /></svg>{legendWords[state]}</li>
        ))}
      </ul>
    </div>
  );
}
