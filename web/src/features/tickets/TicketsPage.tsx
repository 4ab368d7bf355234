import { useState } from 'react';
import { api } from '../../api/client';
import type { Order } from '../../api/types';
import { EventTime } from '../../app/EventTime';
import { formatDate, formatMoney } from '../../app/format';
import { asApiError, useLoad } from '../../app/hooks';
import { Link, useLocation } from '../../app/router';
import { downloadReceiptPdf, downloadTicketsPdf } from './download';
import { Breakdown } from '../checkout/Breakdown';
import { QrCode } from './QrCode';

/** The buyer's orders with their tickets (each a QR code to scan at the door); cancel with refund. */
export function TicketsPage() {
  const { search } = useLocation();
  const orders = useLoad((signal) => api.orders.list(signal), []);
  const justBought = search.get('order');

  if (orders.error && !orders.data) return <p role="alert" className="notice error">{orders.error.message}</p>;
  if (!orders.data) return <p className="loading" aria-busy="true">Loading your tickets…</p>;
  return (
    <div className="tickets-page">
      <h1>My tickets</h1>
      {justBought && <p className="notice success" role="status" data-testid="order-confirmed">Payment received — your tickets are below. Show the QR code at the door.</p>}
      {orders.data.items.length === 0 && <p className="empty">No tickets yet. <Link to="/">Find an event</Link>.</p>}
      {orders.data.items.map((order) => <OrderCard key={order.id} order={order} highlight={order.id === justBought} onChanged={() => void orders.reload()} />)}
    </div>
  );
}

function OrderCard({ order, highlight, onChanged }: { order: Order; highlight: boolean; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string>();
  const cancelled = order.status === 'cancelled';
  const cancel = async () => {
    try {
      await api.orders.cancel(order.id);
      setConfirming(false);
      onChanged();
    } catch (e) {
      setProblem(asApiError(e).message);
    }
  };
  return (
    <section className={`panel order ${highlight ? 'highlight' : ''} ${cancelled ? 'cancelled' : ''}`} aria-labelledby={`order-${order.id}`} data-testid="order">
      <header className="order-head">
        <div>
          <h2 id={`order-${order.id}`}><Link to={`/events/${order.eventId}`}>{order.eventTitle}</Link></h2>
          <p data-testid="order-when"><EventTime iso={order.eventStartsAt} timeZone={order.venue.timeZone} /></p>
          <p data-testid="order-where">{order.venue.name}{order.venue.address ? `, ${order.venue.address}` : ''}, {order.venue.city}</p>
          <p className="muted">Ordered {formatDate(order.createdAt)} · {order.tickets.length} ticket{order.tickets.length === 1 ? '' : 's'} · {formatMoney(order.total, order.currency)}</p>
        </div>
        <span className={`badge ${cancelled ? 'badge-sold_out' : 'badge-on_sale'}`}>{cancelled ? 'Cancelled' : 'Confirmed'}</span>
      </header>
      <Breakdown breakdown={order.breakdown} currency={order.currency} pricing={order.pricing} totalLabel="Total paid" />
      {order.refund && <p className="notice" data-testid="refund">Refunded {formatMoney(order.refund.amount, order.refund.currency)} to your card.</p>}
      <ul className="ticket-list">
        {order.tickets.map((ticket) => (
          <li key={ticket.id} className={`ticket ${ticket.status}`}>
            {ticket.status === 'valid' ? <QrCode value={ticket.qr ?? ticket.code} label={`QR code of ticket ${ticket.code}`} /> : <div className="qr void" aria-hidden="true">VOID</div>}
            <div>
              <strong>{ticket.sectionName}</strong>
              <span>{ticket.seatLabel ? `Seat ${ticket.seatLabel}` : 'General admission'}</span>
              <code>{ticket.code}</code>
            </div>
          </li>
        ))}
      </ul>
      {!cancelled && (
        <p className="order-files">
          <button type="button" className="text-button" onClick={() => void downloadTicketsPdf(order.id).catch((e: unknown) => setProblem(asApiError(e).message))}>Download PDF tickets</button>
          {' · '}
          <button type="button" className="text-button" onClick={() => void downloadReceiptPdf(order.id).catch((e: unknown) => setProblem(asApiError(e).message))}>Download receipt</button>
          {' · '}
          <a href={`/api/v1/events/${order.eventId}/calendar.ics`} download="event.ics">Add to calendar (.ics)</a>
        </p>
      )}
      {!cancelled && (confirming ? (
        <div className="confirm" role="group" aria-label="Confirm cancellation">
          <p>Cancel this order? The tickets stop working and {formatMoney(order.total, order.currency)} is refunded{order.pricing.fees.some((fee) => !fee.refundable && fee.amount > 0) ? ', less the non-refundable fees' : ''}.</p>
          <button type="button" className="button danger" onClick={() => void cancel()}>Yes, cancel the order</button>
          <button type="button" className="text-button" onClick={() => setConfirming(false)}>Keep my tickets</button>
        </div>
      ) : (
        <button type="button" className="text-button" onClick={() => setConfirming(true)}>Cancel order</button>
      ))}
      {problem && <p role="alert" className="notice error">{problem}</p>}
    </section>
  );
}
