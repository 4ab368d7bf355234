import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { formatDate, formatMoney } from '../../app/format';
import { useLoad } from '../../app/hooks';

/** Typing settles this long before the search runs, so each keystroke is not a request. */
const searchDelayMs = 250;

/** The event's orders, newest first, found by the buyer's email or a ticket code (the order desk's search). */
export function OrdersPanel({ eventId }: { eventId: string }) {
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(typed.trim()), searchDelayMs);
    return () => clearTimeout(timer);
  }, [typed]);
  const orders = useLoad((signal) => api.organizer.orders(eventId, q ? { q } : {}, signal), [eventId, q]);
  return (
    <section className="panel" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      <label className="field">
        <span>Find by email or ticket code</span>
        <input type="search" value={typed} maxLength={320} placeholder="ana@example.com or a ticket code" onChange={(e) => setTyped(e.target.value)} />
      </label>
      {orders.data && orders.data.items.length === 0 && <p className="muted">{q ? `No order matches “${q}”.` : 'No orders yet.'}</p>}
      <ul className="plain-list" data-testid="orders">
        {orders.data?.items.map((order) => (
          <li key={order.id} className="list-row order-row">
            <span><strong>{order.buyer.name}</strong> · {order.buyer.email}<br /><span className="hint">#{order.number} · {formatDate(order.createdAt)} · {order.validTickets} of {order.tickets} tickets valid</span></span>
            <span>{formatMoney(order.total, order.currency)} <span className={`badge ${order.status === 'cancelled' ? 'badge-sold_out' : 'badge-on_sale'}`}>{order.status}</span></span>
          </li>
        ))}
      </ul>
    </section>
  );
}
