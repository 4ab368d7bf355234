import { api } from '../../api/client';
import type { EventDetail, Hold } from '../../api/types';
import { EventTime } from '../../app/EventTime';
import { formatMoney } from '../../app/format';
import { useLoad } from '../../app/hooks';
import { groupSeatLabels } from '../../../../src/seat-labels.js';
import { Breakdown } from './Breakdown';

interface SectionLine {
  sectionId: string;
  count: number;
  price: number;
  labels: string[];
}

/** The hold's items per section (price per ticket, seat labels). */
function linesOf(hold: Hold): SectionLine[] {
  const lines = new Map<string, SectionLine>();
  for (const item of hold.items) {
    const line = lines.get(item.sectionId) ?? { sectionId: item.sectionId, count: 0, price: item.price, labels: [] };
    line.count += 1;
    if (item.label) line.labels.push(item.label);
    lines.set(item.sectionId, line);
  }
  return [...lines.values()];
}

/** What the buyer is buying: the event (title, date and time, venue and address), each section with its seats, and the breakdown of the total (fees and tax). */
export function OrderSummary({ hold }: { hold: Hold }) {
  const event = useLoad((signal) => api.events.get(hold.eventId, signal), [hold.eventId]);
  const e: EventDetail | undefined = event.data;
  const sectionName = (id: string) => e?.sections.find((s) => s.id === id)?.name ?? 'Tickets';
  return (
    <section className="panel" aria-labelledby="summary-title" data-testid="order-summary">
      <h2 id="summary-title">{e ? e.title : 'Your tickets'}</h2>
      {e && (
        <p className="event-context">
          <EventTime iso={e.startsAt} timeZone={e.venue.timeZone} />
          <br />
          {e.venue.name}{e.venue.address ? `, ${e.venue.address}` : ''}, {e.venue.city}
        </p>
      )}
      <ul className="line-items">
        {linesOf(hold).map((line) => (
          <li key={line.sectionId}>
            <span>
              <strong>{sectionName(line.sectionId)}</strong>
              <br />
              {line.labels.length ? groupSeatLabels(line.labels).join(' · ') : 'General admission'} · {line.count} × {formatMoney(line.price, hold.currency)}
            </span>
            <span>{formatMoney(line.price * line.count, hold.currency)}</span>
          </li>
        ))}
      </ul>
      <Breakdown breakdown={hold.breakdown} currency={hold.currency} pricing={hold.pricing} />
    </section>
  );
}
