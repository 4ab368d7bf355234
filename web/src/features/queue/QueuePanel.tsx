import type { Onsale } from '../../api/types';
import { formatClock, formatCountdown, formatDate, formatWait } from '../../app/format';
import { Link } from '../../app/router';
import { useSecondsLeft } from '../../app/hooks';
import type { Queue } from './useQueue';

/** The waiting room: where the buyer stands, how long it should take, and what happens next. */
export function QueuePanel({ queue, onsale }: { queue: Queue; onsale: Onsale }) {
  const settings = onsale.queue;
  const { status } = queue;
  const toStart = useSecondsLeft(onsale.startsAt);
  const shoppingLeft = useSecondsLeft(status?.admittedUntil);
  const toOpen = useSecondsLeft(queue.opensAt);

  if (queue.opensAt && !status) {
    return (
      <section className="panel queue" aria-labelledby="queue-title" data-queue-state="not_open">
        <h2 id="queue-title">The waiting room opens soon</h2>
        <p className="countdown">Opens in <strong role="timer" aria-live="off">{formatCountdown(toOpen ?? 0)}</strong> · <time dateTime={queue.opensAt}>{formatDate(queue.opensAt)}</time></p>
        <p>Keep this page open: you will take your place in line by yourself when it opens. Everyone there before the sale starts gets a random place.</p>
      </section>
    );
  }
  if (queue.error && !status) {
    return <section className="panel queue" aria-live="polite"><h2>Waiting room</h2><p role="alert" className="error">{queue.error}</p></section>;
  }
  if (!status) return <section className="panel queue" aria-busy="true"><h2>Waiting room</h2><p>Finding your place in line…</p></section>;

  switch (status.state) {
    case 'pre_queue':
      return (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="pre_queue">
          <h2 id="queue-title">You're in the waiting room</h2>
          <p className="countdown" role="timer" aria-live="off">Sale starts in <strong>{formatClock(toStart ?? 0)}</strong></p>
          <p>Sales open {formatDate(onsale.startsAt)}. Everyone who is here before then gets a <strong>random place in line</strong> when the sale starts, so there is no need to refresh or to arrive first. Keep this page open; we'll move you along automatically.</p>
        </section>
      );
    case 'waiting':
      return (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="waiting">
          <h2 id="queue-title">You're in line</h2>
          <dl className="queue-figures" aria-live="polite">
            <div><dt>Your position</dt><dd data-testid="queue-position">{status.position ?? '—'}</dd></div>
            <div><dt>People ahead</dt><dd>{status.ahead ?? '—'}</dd></div>
            <div><dt>Estimated wait</dt><dd>{status.etaSeconds == null ? '—' : formatWait(status.etaSeconds)}</dd></div>
          </dl>
          <div className="progress" role="progressbar" aria-label="Progress through the line" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(queue.progress * 100)}>
            <div style={{ width: `${Math.max(3, queue.progress * 100)}%` }} />
          </div>
          <p className="muted">Reloading or closing this tab keeps your place. We'll let you in automatically; {settings?.admitPerMinute} people go in every minute.</p>
        </section>
      );
    case 'admitted':
      return (
        <section className="panel queue admitted" aria-labelledby="queue-title" data-queue-state="admitted" role="status">
          <h2 id="queue-title">It's your turn!</h2>
          <p>
            You have{' '}
            <strong role="timer">{shoppingLeft === undefined ? formatWait(settings?.shoppingWindowSeconds ?? 0) : formatClock(shoppingLeft)}</strong>{' '}
            to pick your tickets. Once they're on hold, the hold's own timer applies at checkout.
          </p>
        </section>
      );
    case 'expired':
      return (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="expired">
          <h2 id="queue-title">Your shopping window has ended</h2>
          <p>Your turn ran out before tickets were held. You can join the line again.</p>
          <button type="button" className="button" onClick={() => void queue.rejoin()}>Join the line again</button>
        </section>
      );
    case 'paused':
      // Paused by the organizer, or every ticket left is on hold: held tickets that are not paid for come back.
      return settings?.paused ? (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="paused">
          <h2 id="queue-title">The line is paused</h2>
          <p>The organizer has paused sales for a moment. You keep your place; this page updates by itself.</p>
        </section>
      ) : (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="paused" data-queue-reason="held">
          <h2 id="queue-title">Every ticket left is on hold</h2>
          <p>Other buyers are checking out the last tickets. Tickets they don't pay for come back within minutes; you keep your place (position {status.position ?? '—'}) and we'll let you in if they do. If none come back, this page says the sale is sold out.</p>
        </section>
      );
    case 'sold_out':
      return (
        <section className="panel queue" aria-labelledby="queue-title" data-queue-state="sold_out">
          <h2 id="queue-title">Sold out</h2>
          <p>Every ticket has been sold or is on hold. Join the waitlist below to get an offer if tickets come back.</p>
        </section>
      );
  }
}

/** The waiting room to a visitor not logged in: a place in line belongs to an account. */
export function QueueLogIn({ eventId }: { eventId: string }) {
  return (
    <section className="panel queue" aria-labelledby="queue-title" data-queue-state="logged_out">
      <h2 id="queue-title">This sale has a waiting room</h2>
      <p>Log in or create an account to take your place in line. Everyone gets a fair place, and we'll let you in when it's your turn.</p>
      <p className="row">
        <Link className="button primary" to={`/login?next=${encodeURIComponent(`/events/${eventId}`)}`}>Log in</Link>
        <Link className="button" to={`/register?next=${encodeURIComponent(`/events/${eventId}`)}`}>Sign up</Link>
      </p>
    </section>
  );
}
