import { useState } from 'react';
import { api } from '../../api/client';
import { formatDate, formatWait } from '../../app/format';
import { asApiError, useLoad } from '../../app/hooks';
import { Problem } from '../../app/Problem';
import { Link, useLocation } from '../../app/router';
import { useLive } from '../events/live';
import { SalesChart } from './SalesChart';

/** Organizer's live view of one event: stock per section, the queue, the pace of sales. */
export function DashboardPage({ id }: { id: string }) {
  const { search } = useLocation();
  const event = useLoad(() => api.events.get(id), [id]);
  const stats = useLoad(() => api.events.stats(id), [id]);
  const sales = useLoad(() => api.events.sales(id), [id]);
  const [problem, setProblem] = useState<string>();
  const refresh = () => {
    void stats.reload();
    void sales.reload();
  };
  const mode = useLive(event.data ? id : undefined, undefined, (message) => message.type === 'availability' && refresh(), refresh);

  if (event.error && !event.data) return <Problem error={event.error} />;
  if (!event.data || !stats.data) return <p className="loading" aria-busy="true">Loading the dashboard…</p>;
  const e = event.data;
  const totals = stats.data.sections.reduce((t, s) => ({ capacity: t.capacity + s.capacity, sold: t.sold + s.sold, held: t.held + s.held, available: t.available + s.available }), { capacity: 0, sold: 0, held: 0, available: 0 });
  const perMinute = (sales.data?.ticketsLastFiveMinutes ?? 0) / 5;
  const sellOut = totals.available === 0 ? 'Sold out' : perMinute > 0 ? formatWait((totals.available / perMinute) * 60) : 'No recent sales';
  const queue = stats.data.queue;
  const queueOn = e.onsale?.queue.enabled === true;

  const setStatus = async (status: 'published' | 'cancelled') => {
    setProblem(undefined);
    try {
      await api.events.update(id, { status });
      await event.reload();
    } catch (error) {
      setProblem(asApiError(error).message);
    }
  };

  return (
    <div className="dashboard">
      <header className="dashboard-head">
        <div>
          <p className="eyebrow">Dashboard</p>
          <h1>{e.title}</h1>
          <p className="muted">{formatDate(e.startsAt)} · {e.venue.name}, {e.venue.city}</p>
        </div>
        <div className="row">
          <span className={`badge ${e.status === 'published' ? 'badge-on_sale' : e.status === 'draft' ? 'badge-few_left' : 'badge-sold_out'}`} data-testid="event-status">{e.status}</span>
          {e.status === 'draft' && <button type="button" className="button primary" onClick={() => void setStatus('published')}>Publish</button>}
          <Link className="button" to={`/events/${id}`}>View page</Link>
        </div>
      </header>
      {search.get('onsale') === 'unsupported' && <p className="notice">This server has no waiting room yet, so the on-sale settings were not saved.</p>}
      {problem && <p role="alert" className="notice error">{problem}</p>}

      <section className="kpis" aria-label="Totals">
        <Kpi label="Sold" value={totals.sold} of={totals.capacity} />
        <Kpi label="Held" value={totals.held} of={totals.capacity} />
        <Kpi label="Available" value={totals.available} of={totals.capacity} />
        <Kpi label="Sells out in" text={sellOut} />
      </section>

      <section className="panel" aria-labelledby="sections-title">
        <div className="panel-head">
          <h2 id="sections-title">Sections</h2>
          <span className="live-indicator"><span className={`dot ${mode}`} aria-hidden="true" />{mode === 'live' ? 'Live' : 'Auto-refresh'}</span>
        </div>
        <table className="stats-table">
          <thead><tr><th scope="col">Section</th><th scope="col">Sold</th><th scope="col">Held</th><th scope="col">Available</th><th scope="col" className="bar-col">Capacity {''}</th></tr></thead>
          <tbody>
            {stats.data.sections.map((s) => (
              <tr key={s.sectionId}>
                <th scope="row">{s.name}</th>
                <td>{s.sold}</td>
                <td>{s.held}</td>
                <td>{s.available}</td>
                <td className="bar-col">
                  <div className="stack" role="img" aria-label={`${s.sold} sold, ${s.held} held, ${s.available} available of ${s.capacity}`}>
                    <span className="sold" style={{ width: `${(s.sold / s.capacity) * 100}%` }} />
                    <span className="held" style={{ width: `${(s.held / s.capacity) * 100}%` }} />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="panel" aria-labelledby="queue-title">
        <h2 id="queue-title">Waiting room</h2>
        {queueOn ? (
          <div className="kpis">
            <Kpi label="In line" text={queue ? String(queue.length) : '—'} />
            <Kpi label="Admitted / min" text={queue ? String(queue.admittedPerMinute) : `${e.onsale?.queue.admitPerMinute} (set)`} />
            <Kpi label="Shopping now" text={queue ? String(queue.activeShoppers) : '—'} />
          </div>
        ) : (
          <p className="muted">No waiting room for this event: buyers go straight to the tickets.</p>
        )}
      </section>

      <section className="panel" aria-labelledby="sales-title">
        <h2 id="sales-title">Sales over time</h2>
        {sales.data && <SalesChart sales={sales.data} />}
      </section>
    </div>
  );
}

function Kpi({ label, value, of, text }: { label: string; value?: number; of?: number; text?: string }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      <strong className="kpi-value" data-testid={`kpi-${label.toLowerCase().replace(/\W+/g, '-')}`}>{text ?? value}</strong>
      {of !== undefined && value !== undefined && <span className="kpi-of">of {of}</span>}
    </div>
  );
}
