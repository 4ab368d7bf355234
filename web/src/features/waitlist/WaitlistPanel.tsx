import { useState } from 'react';
import { api } from '../../api/client';
import type { EventDetail, Hold, WaitlistEntry } from '../../api/types';
import { formatClock } from '../../app/format';
import { asApiError, useInterval, useLoad, useSecondsLeft, useSession } from '../../app/hooks';
import { Link, navigate } from '../../app/router';

/**
 * Offered when what the buyer wants is sold out: join the waitlist, see the place in it, and take up
 * an offer (a hold made for the buyer, with its own countdown) when tickets come back.
 */
export function WaitlistPanel({ event, sectionId }: { event: EventDetail; sectionId: string | undefined }) {
  const session = useSession();
  const [quantity, setQuantity] = useState(1);
  const [message, setMessage] = useState<string>();
  const entry = useLoad(async (signal) => (session ? api.waitlist.get(event.id, signal).catch((e: unknown) => (asApiError(e).status === 404 ? null : Promise.reject(e))) : null), [event.id, session?.user.id]);
  const offerHoldId = entry.data?.offer?.holdId;
  const offer = useLoad(async (signal) => (offerHoldId ? api.holds.get(offerHoldId, signal) : null), [offerHoldId]);
  useInterval(() => void entry.reload(), entry.data ? 5000 : null);

  if (!session) {
    return (
      <section className="panel waitlist" aria-labelledby="waitlist-title">
        <h2 id="waitlist-title">Sold out — join the waitlist</h2>
        <p>If tickets come back, people on the waitlist get them first. <Link to={`/login?next=/events/${event.id}`}>Log in</Link> to join.</p>
      </section>
    );
  }

  const join = async () => {
    setMessage(undefined);
    try {
      await api.waitlist.join(event.id, { quantity, ...(sectionId ? { sectionId } : {}) });
      await entry.reload();
    } catch (e) {
      const failure = asApiError(e);
      setMessage(failure.code === 'tickets_available' ? 'Good news: tickets are available again. Pick them above.' : failure.status === 404 ? 'The waitlist is not open for this event.' : failure.message);
    }
  };
  const leave = async () => {
    await api.waitlist.leave(event.id).catch(() => undefined);
    await entry.reload();
  };

  const joined: WaitlistEntry | null | undefined = entry.data;
  return (
    <section className="panel waitlist" aria-labelledby="waitlist-title">
      <h2 id="waitlist-title">{joined ? "You're on the waitlist" : 'Sold out — join the waitlist'}</h2>
      {offer.data && offer.data.status === 'active' ? (
        <Offer hold={offer.data} onDeclined={() => void entry.reload()} />
      ) : joined && joined.status === 'waiting' ? (
        <>
          <p>You're number <strong>{joined.position}</strong> in line for {joined.quantity} ticket{joined.quantity === 1 ? '' : 's'}. We'll offer them to you here and by email when they come back.</p>
          <button type="button" className="text-button" onClick={() => void leave()}>Leave the waitlist</button>
        </>
      ) : (
        <div className="row">
          <label className="field compact">
            <span>Tickets</span>
            <select value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
              {Array.from({ length: event.maxTicketsPerOrder }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <button type="button" className="button" onClick={() => void join()}>Join the waitlist</button>
        </div>
      )}
      {message && <p role="alert" className="error">{message}</p>}
    </section>
  );
}

function Offer({ hold, onDeclined }: { hold: Hold; onDeclined: () => void }) {
  const left = useSecondsLeft(hold.expiresAt);
  const decline = async () => {
    await api.waitlist.decline(hold.id).catch(() => undefined);
    onDeclined();
  };
  return (
    <div className="offer" role="status">
      <p><strong>Tickets are yours if you want them!</strong> {hold.items.length} ticket{hold.items.length === 1 ? '' : 's'} are held for you for <strong role="timer">{formatClock(left ?? 0)}</strong>.</p>
      <div className="row">
        <button type="button" className="button" onClick={() => navigate(`/checkout/${hold.id}`)}>Buy now</button>
        <button type="button" className="text-button" onClick={() => void decline()}>No thanks</button>
      </div>
    </div>
  );
}
