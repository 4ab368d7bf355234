import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Hold } from '../../api/types';
import { formatClock, formatMoney } from '../../app/format';
import { asApiError, useInterval, useLoad, useSecondsLeft, useSession, type Loaded } from '../../app/hooks';
import { Link } from '../../app/router';

/** How often a page re-reads the buyer's holds: a hold made or ended in another tab shows within this. */
const holdsRefreshMs = 15_000;

const holdsChangedEvent = 'onsale:holds-changed';

/** Tells every list of the buyer's holds on the page (the header's too) to read them again. */
export const holdsChanged = () => window.dispatchEvent(new Event(holdsChangedEvent));

/**
 * The signed-in buyer's live holds (of one event, or all with `eventId` undefined), re-read every few
 * seconds; none when logged out. A buyer who pressed Back from checkout finds their tickets here.
 */
export function useMyHolds(eventId: string | undefined, refreshKey: unknown = undefined): Loaded<Hold[]> {
  const session = useSession();
  const loaded = useLoad((signal) => (session ? api.holds.mine(eventId, signal) : Promise.resolve([])), [eventId, session?.user.id, refreshKey]);
  useInterval(() => void loaded.reload(), session ? holdsRefreshMs : null);
  const { reload } = loaded;
  useEffect(() => {
    const onChange = () => void reload();
    window.addEventListener(holdsChangedEvent, onChange);
    return () => window.removeEventListener(holdsChangedEvent, onChange);
  }, [reload]);
  return loaded;
}

/** "Row H" etc.: what a hold is for, in a few words ("2 tickets", "seats A3, A4"). */
export function holdSummary(hold: Hold): string {
  const labels = hold.items.flatMap((i) => (i.label ? [i.label] : []));
  if (labels.length > 0) return `seat${labels.length === 1 ? '' : 's'} ${labels.join(', ')}`;
  return `${hold.items.length} ticket${hold.items.length === 1 ? '' : 's'}`;
}

function Countdown({ until }: { until: string }) {
  const left = useSecondsLeft(until);
  return <span role="timer" className="countdown-value">{formatClock(left ?? 0)}</span>;
}

/**
 * The buyer's open holds for this event, as theirs: resume the checkout or let the tickets go.
 * `onChange` runs after a release, so the page re-reads availability, the map and the buyer's holds.
 */
export function ResumeBar({ holds, onChange }: { holds: Hold[]; onChange: () => void }) {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (holds.length === 0) return null;
  const release = async (hold: Hold) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await api.holds.release(hold.id);
    } catch (error) {
      setProblem(asApiError(error).message);
    } finally {
      setBusy(false);
      onChange();
    }
  };
  return (
    <section className="panel resume" aria-labelledby="resume-title" data-testid="resume-bar">
      <h2 id="resume-title">Your tickets on hold</h2>
      <ul className="resume-list">
        {holds.map((hold) => (
          <li key={hold.id} className="resume-item">
            <span>{holdSummary(hold)} · {formatMoney(hold.total, hold.currency)} · <Countdown until={hold.expiresAt} /> left</span>
            <span className="row">
              <Link className="button primary" to={`/checkout/${hold.id}`}>Resume checkout</Link>
              <button type="button" className="button" disabled={busy} onClick={() => void release(hold)}>Release</button>
            </span>
          </li>
        ))}
      </ul>
      {problem && <p role="alert" className="notice error">{problem}</p>}
    </section>
  );
}

/** In the header on every page but checkout: "Resume checkout · 8:42 left" for the hold that lapses first. */
export function HeaderHold({ path }: { path: string }) {
  const holds = useMyHolds(undefined, path);
  const first = holds.data?.[0];
  if (!first || path.startsWith('/checkout/')) return null;
  return (
    <Link className="header-hold" to={`/checkout/${first.id}`} data-testid="header-hold">
      Resume checkout · <Countdown until={first.expiresAt} /> left
    </Link>
  );
}
