import { api } from '../../api/client';
import type { Output } from '../../api/client';
import { formatDate } from '../../app/format';
import { useLoad } from '../../app/hooks';
import { Link, navigate, useLocation } from '../../app/router';
import { mayUse, OrganizationSwitcher, useOrganizations } from '../team/organizations';

type Phase = Output<'GET /organizer/events'>['items'][number]['phase'];

const filters: { phase: Phase | undefined; label: string }[] = [
  { phase: undefined, label: 'All' },
  { phase: 'draft', label: 'Drafts' },
  { phase: 'on_sale', label: 'On sale' },
  { phase: 'past', label: 'Past' },
  { phase: 'cancelled', label: 'Cancelled' },
];
const phaseWords: Record<Phase, string> = { draft: 'Draft', on_sale: 'On sale', past: 'Past', cancelled: 'Cancelled' };
const phaseBadge: Record<Phase, string> = { draft: 'badge-warn', on_sale: 'badge-on_sale', past: 'badge-past', cancelled: 'badge-sold_out' };
const pageSize = 100;

/** Organizer home: every event (drafts, on sale, past, cancelled), filtered by phase in the URL, each with its dashboard. */
export function OrganizerPage() {
  const { search } = useLocation();
  const asked = search.get('phase');
  const phase = filters.find((f) => f.phase === asked)?.phase;
  const { organizations, current } = useOrganizations();
  const organizationId = current?.id;
  const events = useLoad((signal) => api.organizer.events({ limit: pageSize, ...(phase ? { phase } : {}), ...(organizationId ? { organizationId } : {}) }, signal), [phase, organizationId]);
  return (
    <div>
      <div className="panel-head">
        <h1>Organizer</h1>
        <div className="row">
          <OrganizationSwitcher organizations={organizations} current={current} />
          {mayUse(current, 'team') && <Link className="button" to="/organizer/team">Team</Link>}
          {mayUse(current, 'events') && <Link className="button primary" to="/organizer/new">New event</Link>}
        </div>
      </div>
      <nav className="filter-tabs" aria-label="Show events">
        {filters.map((f) => (
          <button key={f.label} type="button" className="chip" aria-pressed={f.phase === phase} onClick={() => navigate(f.phase ? `/organizer?phase=${f.phase}` : '/organizer', { replace: true })}>{f.label}</button>
        ))}
      </nav>
      {events.error && <p role="alert" className="notice error">{events.error.message}</p>}
      <ul className="plain-list" data-testid="organizer-events">
        {events.data?.items.map((e) => (
          <li key={e.id} className="panel list-row">
            <div>
              <strong>{e.title}</strong> <span className={`badge ${phaseBadge[e.phase]}`}>{phaseWords[e.phase]}</span>
              <p className="muted">{formatDate(e.startsAt)} · {e.venue.name}, {e.venue.city} · {e.sold} of {e.capacity} sold</p>
            </div>
            <div className="row">
              {mayUse(current, 'dashboard') && <Link className="button" to={`/organizer/events/${e.id}`}>Dashboard</Link>}
              {mayUse(current, 'orders') && <Link className="button" to={`/organizer/events/${e.id}/orders`}>Orders</Link>}
              {mayUse(current, 'scan') && !mayUse(current, 'dashboard') && <Link className="button" to={`/scan/${e.id}`}>Scan tickets</Link>}
            </div>
          </li>
        ))}
      </ul>
      {events.data && events.data.total > events.data.items.length && <p className="muted">Showing {events.data.items.length} of {events.data.total}: pick a filter to narrow the list.</p>}
      {events.data?.items.length === 0 && <p className="empty">{phase ? `No ${phaseWords[phase].toLowerCase()} events.` : 'No events yet: create one.'}</p>}
    </div>
  );
}
