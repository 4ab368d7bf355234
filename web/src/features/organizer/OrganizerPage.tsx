import { api } from '../../api/client';
import { formatDate } from '../../app/format';
import { useLoad } from '../../app/hooks';
import { Link } from '../../app/router';

/** Organizer home: the events on sale, each with its dashboard, and a way to create one. */
export function OrganizerPage() {
  const events = useLoad((signal) => api.events.list({ limit: 100 }, signal), []);
  return (
    <div>
      <div className="panel-head">
        <h1>Organizer</h1>
        <Link className="button primary" to="/organizer/new">New event</Link>
      </div>
      {events.error && <p role="alert" className="notice error">{events.error.message}</p>}
      <ul className="plain-list">
        {events.data?.items.map((e) => (
          <li key={e.id} className="panel list-row">
            <div>
              <strong>{e.title}</strong>
              <p className="muted">{formatDate(e.startsAt)} · {e.venue.name}, {e.venue.city} · {e.capacity - e.available} of {e.capacity} gone</p>
            </div>
            <Link className="button" to={`/organizer/events/${e.id}`}>Dashboard</Link>
          </li>
        ))}
      </ul>
      {events.data?.items.length === 0 && <p className="empty">No published upcoming events.</p>}
    </div>
  );
}
