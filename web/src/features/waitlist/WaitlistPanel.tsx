import { useState } from 'react';
import { api } from '../../api/client';
import type { EventDetail, Hold, WaitlistEntry } from '../../api/types';
import { formatClock, formatMoney } from '../../app/format';
import { asApiError, useInterval, useLoad, useSecondsLeft, useSession, type Loaded } from '../../app/hooks';
import { holdSummary } from '../checkout/ResumeCheckout';
import { Link, navigate } from '../../app/router';

/** How often a buyer on the waitlist re-reads their entry, so an offer shows within this (besides email). */
const entryRefreshMs = 5000;

/** The signed-in buyer's waitlist entry for the event (null: none), re-read while there is one. */
export function useWaitlistEntry(eventId: string): Loaded<WaitlistEntry | null> {
  const session = useSession();
  const entry = useLoad(async (signal) => (session ? api.waitlist.get(eventId, signal).catch((e: unknown) => (asApiError(e).status === 404 ? null : Promise.reject(e))) : null), [eventId, session?.user.id]);
  useInterval(() => void entry.reload(), entry.data ? entryRefreshMs : null);
  return entry;
}

/**
 * Offered when what the buyer wants is sold out: join the waitlist and see the place in it. An offer
 * made to the buyer is shown apart, first on the page (OfferPanel), whatever the section reads.
 */
export function WaitlistPanel({ event, sectionId, entry }: { event: EventDetail; sectionId: string | undefined; entry: Loaded<WaitlistEntry | null> }) {
  const session = useSession();
  const [quantity, setQuantity] = useState(1);
  const [message, setMessage] = useState<string>();

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
      {joined && joined.status === 'offered' ? (
        <p>Tickets came back for you: see your offer at the top of the page.</p>
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

/**
 * An open waitlist offer: a hold made for this buyer, with its countdown, Buy and No thanks. Passing
 * it on cannot be undone (the tickets go to the next in line), so No thanks asks once more.
 */
export function OfferPanel({ hold, onDeclined }: { hold: Hold; onDeclined: () => void }) {
  const left = useSecondsLeft(hold.expiresAt);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string>();
  const decline = async () => {
    try {
      await api.waitlist.decline(hold.id);
    } catch (error) {
      setProblem(asApiError(error).message);
    }
    onDeclined();
  };
  return (
    <section className="panel offer" id="offer" aria-labelledby="offer-title" data-testid="offer">
      <h2 id="offer-title">Tickets are yours if you want them!</h2>
      <p>{holdSummary(hold)} ({formatMoney(hold.total, hold.currency)}) came back and are held for you for <strong role="timer">{formatClock(left ?? 0)}</strong>.</p>
      {confirming ? (
        <div className="row" role="group" aria-label="Pass the tickets on?">
          <p>Pass these tickets on to the next person in line? You cannot get them back.</p>
          <button type="button" className="button" onClick={() => void decline()}>Yes, pass them on</button>
          <button type="button" className="button primary" onClick={() => setConfirming(false)}>Keep them</button>
        </div>
      ) : (
        <div className="row">
          <button type="button" className="button primary" onClick={() => navigate(`/checkout/${hold.id}`)}>Buy now</button>
          <button type="button" className="text-button" onClick={() => setConfirming(true)}>No thanks</button>
        </div>
      )}
      {problem && <p role="alert" className="notice error">{problem}</p>}
    </section>
  );
}
