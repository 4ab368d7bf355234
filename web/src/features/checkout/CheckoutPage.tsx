import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Hold } from '../../api/types';
import { OrderSummary } from './OrderSummary';
import { formatClock, formatMoney } from '../../app/format';
import { asApiError, useLoad, useSecondsLeft } from '../../app/hooks';
import { Problem } from '../../app/Problem';
import { Link, navigate } from '../../app/router';

const testCards = [
  { number: '4242 4242 4242 4242', outcome: 'pays' },
  { number: '4000 0000 0000 0002', outcome: 'is declined' },
  { number: '4000 0000 0000 9995', outcome: 'has insufficient funds' },
];

/** By the provider's decline reason (`details.reason` of payment_declined). */
const declineMessages: Record<string, string> = {
  card_declined: 'Your card was declined. Nothing was charged; your tickets are still held, so try another card.',
  insufficient_funds: 'Your card was declined for insufficient funds. Your tickets are still held; try another card.',
  incorrect_number: 'That card number is not valid. Check it and try again.',
};

/** The hold with its countdown, and the payment form. */
export function CheckoutPage({ holdId }: { holdId: string }) {
  const hold = useLoad((signal) => api.holds.get(holdId, signal), [holdId]);
  const left = useSecondsLeft(hold.data?.expiresAt);
  const [card, setCard] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string>();
  const [expired, setExpired] = useState(false);
  const [paying, setPaying] = useState(false);

  if (hold.error && !hold.data) return <Problem error={hold.error} />;
  if (!hold.data) return <p className="loading" aria-busy="true">Loading your tickets…</p>;
  const h: Hold = hold.data;
  const isExpired = expired || h.status === 'expired' || h.status === 'released' || left === 0;

  if (h.status === 'converted') {
    return (
      <section className="panel">
        <h1>Already paid</h1>
        <p>These tickets are yours.</p>
        <Link className="button primary" to="/tickets">See my tickets</Link>
      </section>
    );
  }

  const pay = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setPaying(true);
    try {
      const order = await api.holds.checkout(h.id, card.replace(/\D/g, ''));
      navigate(`/tickets?order=${order.id}`);
    } catch (error) {
      const failure = asApiError(error);
      if (failure.code === 'hold_expired' || failure.code === 'hold_not_active') setExpired(true);
      else if (failure.code === 'payment_declined') {
        const reason = String(failure.details.reason ?? '');
        setProblem(declineMessages[reason] ?? 'Your card was declined. Nothing was charged; try another card.');
      } else if (failure.code === 'validation_failed') setProblem('Enter the card number: 12 to 19 digits.');
      else setProblem(failure.message);
    } finally {
      setPaying(false);
    }
  };

  const release = async () => {
    await api.holds.release(h.id).catch(() => undefined);
    navigate(`/events/${h.eventId}`);
  };

  return (
    <div className="checkout">
      <h1>Checkout</h1>
      {isExpired ? (
        <section className="panel notice error" role="alert" data-testid="hold-expired">
          <h2>Your hold has expired</h2>
          <p>The tickets were held for a limited time and have gone back on sale. Nothing was charged.</p>
          <Link className="button primary" to={`/events/${h.eventId}`}>Pick tickets again</Link>
        </section>
      ) : (
        <p className={`hold-timer ${left !== undefined && left < 60 ? 'urgent' : ''}`} role="timer" aria-live="off">
          Tickets held for you for <strong data-testid="hold-countdown">{formatClock(left ?? 0)}</strong>
        </p>
      )}

      <OrderSummary hold={h} />

      {!isExpired && (
        <form className="panel pay-form" onSubmit={pay} aria-labelledby="pay-title">
          <h2 id="pay-title">Pay</h2>
          <label className="field">
            <span>Name on card</span>
            <input autoComplete="cc-name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span>Card number</span>
            <input
              name="cardNumber"
              inputMode="numeric"
              autoComplete="cc-number"
              required
              pattern="[0-9 ]{12,23}"
              placeholder="4242 4242 4242 4242"
              value={card}
              onChange={(e) => setCard(e.target.value)}
              aria-describedby="test-cards"
            />
          </label>
          <div id="test-cards" className="hint">
            Test mode. Try {testCards.map((c, i) => <span key={c.number}>{i > 0 && ', '}<button type="button" className="link-button" onClick={() => setCard(c.number)}>{c.number}</button> ({c.outcome})</span>)}.
          </div>
          {problem && <p role="alert" className="notice error" data-testid="payment-problem">{problem}</p>}
          <button type="submit" className="button primary wide" disabled={paying}>{paying ? 'Paying…' : `Pay ${formatMoney(h.total, h.currency)}`}</button>
          <button type="button" className="text-button" onClick={() => void release()}>Cancel and release the tickets</button>
        </form>
      )}
    </div>
  );
}
