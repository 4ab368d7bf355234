import { useEffect, useState, type FormEvent } from 'react';
import { call } from '../../api/client';
import { asApiError, useLoad } from '../../app/hooks';

/** The door figures change with every scan: refreshed this often while the dashboard is open. */
const doorRefreshMs = 10_000;
const windowMinutes = 15;

/** At the door: tickets admitted, entries per minute, and pairing links for new scanners. */
export function DoorPanel({ eventId, checkedIn, sold }: { eventId: string; checkedIn: number; sold: number }) {
  const entries = useLoad((signal) => call('GET /events/:id/checkin/entries', { params: { id: eventId }, query: { minutes: windowMinutes }, signal }), [eventId]);
  const [name, setName] = useState('');
  const [pairing, setPairing] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const { reload } = entries;
  useEffect(() => {
    const timer = setInterval(() => void reload(), doorRefreshMs);
    return () => clearInterval(timer);
  }, [reload]);

  const addScanner = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const device = await call('POST /events/:id/checkin/devices', { params: { id: eventId }, body: { name: name.trim() || 'Scanner' } });
      // The token travels in the fragment, which the browser never sends to a server.
      setPairing(`${location.origin}/scan/${eventId}#token=${device.deviceToken}`);
      setName('');
    } catch (error) {
      setProblem(asApiError(error).message);
    }
  };

  const items = entries.data?.items ?? [];
  const peak = Math.max(1, ...items.map((m) => m.entries));
  return (
    <section className="panel" aria-labelledby="door-title" data-testid="door-panel">
      <div className="panel-head"><h2 id="door-title">At the door</h2></div>
      <p><strong>{checkedIn}</strong> of {sold} tickets checked in · {items.at(-1)?.entries ?? 0} this minute</p>
      <ol className="door-entries" aria-label={`Entries per minute, last ${windowMinutes} minutes`} style={{ display: 'flex', alignItems: 'flex-end', gap: 2, height: 48, listStyle: 'none', padding: 0 }}>
        {items.map((m) => (
          <li key={m.minute} title={`${new Date(m.minute).toLocaleTimeString()}: ${m.entries}`} style={{ flex: 1, height: `${(m.entries / peak) * 100}%`, minHeight: 1, background: 'currentColor', opacity: 0.6 }} />
        ))}
      </ol>
      <form onSubmit={(e) => void addScanner(e)} className="row">
        <label>Scanner name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} /></label>
        <button type="submit" className="button">Add a scanner</button>
      </form>
      {pairing && <p>Open this link on the scanning device (shown once): <code data-testid="pairing-link">{pairing}</code></p>}
      {problem && <p role="alert" className="notice error">{problem}</p>}
    </section>
  );
}
