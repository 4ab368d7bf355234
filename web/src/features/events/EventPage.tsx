import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../../api/client';
import type { EventDetail, LiveMessage, Seat, Section, TicketType } from '../../api/types';
import { availabilityLabel, availabilityOf, formatDate, formatMoney } from '../../app/format';
import { asApiError, useLoad, useSession } from '../../app/hooks';
import { Link, navigate } from '../../app/router';
import { QueueLogIn, QueuePanel } from '../queue/QueuePanel';
import { useQueue } from '../queue/useQueue';
import { VenueOverview } from '../seatmap/Overview';
import { SeatMap } from '../seatmap/SeatMap';
import { holdsChanged, ResumeBar, useMyHolds } from '../checkout/ResumeCheckout';
import { OfferPanel, useWaitlistEntry, WaitlistPanel } from '../waitlist/WaitlistPanel';
import { forgetPendingHold, pendingHoldFor, rememberPendingHold, type HoldTarget } from './pendingHold';
import { liveSocketServes, useLive } from './live';
import { Problem } from '../../app/Problem';
import { SaleOpens } from './SaleOpens';
import { EventTime } from '../../app/EventTime';
import { rememberedCode, useCodeTypes } from './codeTypes';

/** A hold refused with `hold_limit_reached`: the buyer's open holds, and what they asked for now. */
interface OpenHolds {
  holdIds: string[];
  target: HoldTarget;
}

export function EventPage({ id }: { id: string }) {
  const session = useSession();
  const event = useLoad((signal) => api.events.get(id, signal), [id]);
  const hasSeats = event.data?.sections.some((s) => s.kind === 'seated') ?? false;
  const seats = useLoad((signal) => (hasSeats ? api.events.seats(id, signal) : Promise.resolve([] as Seat[])), [id, hasSeats]);
  const queueOn = event.data?.onsale?.queue?.enabled === true;
  // A place in line belongs to an account: logged out, the page asks to log in instead of joining.
  const queue = useQueue(id, queueOn && session !== null);
  const [live, setLive] = useState<Record<string, number>>({});
  const [sectionId, setSectionId] = useState<string>();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [problem, setProblem] = useState<string>();
  const [openHolds, setOpenHolds] = useState<OpenHolds>();
  const [busy, setBusy] = useState(false);
  // A presale, unlock or discount code: sent with every hold while it is filled in.
  const [code, setCode] = useState(() => rememberedCode(id));
  // An unlock code applied here lists the code-only types it sells (and stays for this tab: Back from checkout keeps them).
  const codeTypes = useCodeTypes(id, session !== null);
  const myHolds = useMyHolds(session ? id : undefined);
  const waitlistEntry = useWaitlistEntry(id);
  const offerHoldId = waitlistEntry.data?.offer?.holdId;

  const onMessage = (message: LiveMessage) => {
    if (message.type === 'queue') queue.apply(message);
    else {
      setLive((current) => ({ ...current, ...Object.fromEntries(message.sections.map((s) => [s.id, s.available])) }));
      if (hasSeats) void seats.reload();
      void myHolds.reload();
    }
  };
  const mode = useLive(event.data ? id : undefined, queue.token, onMessage, () => {
    setLive({});
    void event.reload();
    if (hasSeats) void seats.reload();
    if (queueOn) void queue.refresh();
    void myHolds.reload();
  }, { socket: liveSocketServes(event.data) });

  const sections: Section[] = useMemo(
    () => (event.data?.sections ?? []).map((s) => {
      const known = new Set(s.ticketTypes.map((t) => t.id));
      const unlocked = (codeTypes.applied?.ticketTypes ?? []).filter((t) => t.sectionId === s.id && !known.has(t.id)).map(({ sectionId: _, ...t }) => t);
      return { ...s, available: live[s.id] ?? s.available, ticketTypes: [...s.ticketTypes, ...unlocked] };
    }),
    [event.data, live, codeTypes.applied],
  );
  useEffect(() => {
    if (!sectionId && sections.length) setSectionId((sections.find((s) => s.available > 0) ?? sections[0])!.id);
  }, [sections, sectionId]);

  const holdRef = useRef<(target: HoldTarget) => Promise<void>>(undefined);
  // Tickets picked before logging in: hold them as soon as the buyer is back, logged in, and may shop.
  const mayShop = event.data !== undefined && (!queueOn || queue.status?.state === 'admitted');
  useEffect(() => {
    const pending = session && mayShop ? pendingHoldFor(id) : undefined;
    if (!pending) return;
    forgetPendingHold();
    if ('seatIds' in pending) setSelected(new Set(pending.seatIds));
    void holdRef.current?.(pending);
  }, [session, mayShop, id]);

  if (event.error && !event.data) return <Problem error={event.error} />;
  if (!event.data) return <p className="loading" aria-busy="true">Loading the event…</p>;
  const e: EventDetail = event.data;
  const section = sections.find((s) => s.id === sectionId);
  const allSoldOut = sections.every((s) => s.available === 0) || queue.status?.state === 'sold_out';
  const canShop = !queueOn || queue.status?.state === 'admitted';
  const seatById = new Map((seats.data ?? []).map((s) => [s.id, s]));
  const offer = myHolds.data?.find((h) => h.id === offerHoldId);
  const basket = (myHolds.data ?? []).filter((h) => h.id !== offerHoldId);
  const mySeatIds = new Set((myHolds.data ?? []).flatMap((h) => h.items.flatMap((i) => (i.seatId ? [i.seatId] : []))));
  const reloadStock = () => {
    void event.reload();
    if (hasSeats) void seats.reload();
    holdsChanged();
  };

  const hold = async (target: HoldTarget) => {
    if (!session) {
      rememberPendingHold(id, target);
      navigate(`/login?next=${encodeURIComponent(`/events/${id}`)}`);
      return;
    }
    setBusy(true);
    setProblem(undefined);
    setOpenHolds(undefined);
    try {
      const typed = code.trim();
      const placed = await api.holds.create({ eventId: id, ...target, ...(typed ? { code: typed } : {}) }, queue.token);
      // The picked seats are held now: unpick them in the same render as the move to checkout, so a
      // Back that lands before that render still shows them as the buyer's hold, not as a fresh pick.
      setSelected(new Set());
      navigate(`/checkout/${placed.id}`);
    } catch (error) {
      const failure = asApiError(error);
      if (failure.code === 'hold_limit_reached') {
        setOpenHolds({ holdIds: (failure.details.holdIds as string[] | undefined) ?? [], target });
        return;
      }
      if (failure.code === 'seats_unavailable') {
        const taken = (failure.details.seatIds as string[] | undefined) ?? [];
        const labels = taken.map((seatId) => seatById.get(seatId)?.label).filter(Boolean);
        setProblem(`Sorry — ${labels.length ? `seat ${labels.join(', ')} was` : 'those seats were'} just taken by someone else. Please pick another seat.`);
        setSelected((current) => new Set([...current].filter((seatId) => !taken.includes(seatId))));
      } else if (failure.code === 'sold_out') setProblem('There are not enough tickets of that kind left for that many. Try fewer, another ticket type, or another section.');
      else if (failure.code === 'not_admitted') setProblem("It isn't your turn yet: stay in the line and we'll let you in.");
      else if (failure.code === 'admission_expired') setProblem('Your shopping window has ended. Join the line again to continue.');
      else if (failure.code === 'not_on_sale' && typeof failure.details.opensAt === 'string') setProblem(`The sale has not opened yet: it opens ${formatDate(failure.details.opensAt)}.`);
      else setProblem(failure.message);
      reloadStock();
      if (queueOn) void queue.refresh();
    } finally {
      setBusy(false);
    }
  };

  holdRef.current = hold;

  /** Gives up the open holds (their tickets go back on sale) and asks again for what was refused. */
  const releaseAndHold = async ({ holdIds, target }: OpenHolds) => {
    setBusy(true);
    try {
      await Promise.all(holdIds.map((holdId) => api.holds.release(holdId)));
    } catch (error) {
      setProblem(asApiError(error).message);
      setBusy(false);
      return;
    }
    await hold(target);
  };

  const toggleSeat = (seat: Seat) => {
    setProblem(undefined);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(seat.id)) next.delete(seat.id);
      else if (next.size < e.maxTicketsPerOrder) next.add(seat.id);
      else setProblem(`You can pick up to ${e.maxTicketsPerOrder} seats per order.`);
      return next;
    });
  };

  return (
    <article className="event-page">
      <header className="event-hero">
        {e.category && <p className="eyebrow">{e.category}</p>}
        <h1>{e.title}</h1>
        <p className="event-when"><EventTime iso={e.startsAt} timeZone={e.venue.timeZone} /></p>
        <p className="event-where">{e.venue.name}{e.venue.address ? `, ${e.venue.address}` : ''}, {e.venue.city}</p>
        {e.opensAt && <SaleOpens opensAt={e.opensAt} />}
        {e.status !== 'published' && <p className="badge badge-warn">{e.status === 'draft' ? 'Draft: only organizers see this page' : 'Cancelled'}</p>}
        {e.description && <p className="event-description">{e.description}</p>}
      </header>

      {offer && <OfferPanel hold={offer} onDeclined={() => { void waitlistEntry.reload(); reloadStock(); }} />}
      <ResumeBar holds={basket} onChange={reloadStock} />

      {queueOn && e.onsale && (session ? <QueuePanel queue={queue} onsale={e.onsale} /> : <QueueLogIn eventId={id} />)}

      <section className="panel" aria-labelledby="tickets-title">
        <div className="panel-head">
          <h2 id="tickets-title">Tickets</h2>
          <span className="live-indicator" title={mode === 'live' ? 'Availability updates live' : 'Availability refreshes every few seconds'}>
            <span className={`dot ${mode}`} aria-hidden="true" />{mode === 'live' ? 'Live' : 'Auto-refresh'}
          </span>
        </div>
        {sections.length > 1 && (
          <VenueOverview sections={sections} seats={seats.data ?? []} chosenId={sectionId} currency={e.currency} onChoose={(chosen) => { setSectionId(chosen); setSelected(new Set()); setProblem(undefined); }} />
        )}
        <div className="section-list" role="radiogroup" aria-label="Section">
          {sections.map((s) => {
            const state = availabilityOf(s.available, s.capacity);
            return (
              <label key={s.id} className={`section-card ${s.id === sectionId ? 'chosen' : ''}`}>
                <input type="radio" name="section" value={s.id} checked={s.id === sectionId} onChange={() => { setSectionId(s.id); setSelected(new Set()); setProblem(undefined); }} />
                <span className="section-name">{s.name}<small>{s.kind === 'seated' ? 'Reserved seating' : 'General admission'}</small></span>
                <span className="section-price">{s.ticketTypes.length ? `from ${formatMoney(Math.min(...s.ticketTypes.map((t) => t.price)), e.currency)}` : formatMoney(s.price, e.currency)}</span>
                <span className={`badge badge-${state}`} data-testid={`available-${s.name}`}>{state === 'sold_out' ? 'Sold out' : `${s.available} left`}</span>
                <span className="visually-hidden">{availabilityLabel[state]}</span>
              </label>
            );
          })}
        </div>

        <div className="code-field">
          <label htmlFor="event-code">Have a code?</label>
          <input
            id="event-code"
            name="code"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={64}
            value={code}
            onChange={(event) => { setCode(event.target.value); setProblem(undefined); }}
            onKeyDown={(event) => { if (event.key === 'Enter') { event.preventDefault(); void codeTypes.apply(code); } }}
            aria-describedby="event-code-help"
          />
          <button type="button" className="button" onClick={() => void codeTypes.apply(code)}>Apply code</button>
          {codeTypes.applied && codeTypes.applied.code.toUpperCase() === code.trim().toUpperCase() && (
            <p role="status" className="notice" data-testid="code-applied">
              {codeTypes.applied.ticketTypes.length > 0
                ? `Code applied: ${codeTypes.applied.ticketTypes.map((t) => t.name).join(', ')} now available.`
                : 'Code applied: it is used when you hold tickets.'}
            </p>
          )}
          {codeTypes.problem && <p role="alert" className="notice error" data-testid="code-problem">{codeTypes.problem}</p>}
          <small id="event-code-help" className="muted">A presale, unlock or discount code is applied when you hold tickets.</small>
        </div>

        {problem && <p role="alert" className="notice error" data-testid="hold-problem">{problem}</p>}
        {openHolds && (
          <div role="alert" className="notice" data-testid="open-hold">
            <p>You already have tickets on hold for this event. Finish that checkout, or let those tickets go and hold these instead.</p>
            {openHolds.holdIds[0] && <Link className="button primary" to={`/checkout/${openHolds.holdIds[0]}`}>Continue to checkout</Link>}{' '}
            <button type="button" className="button" disabled={busy} onClick={() => void releaseAndHold(openHolds)}>Release them and hold these instead</button>
          </div>
        )}

        {section && section.available > 0 && (
          <fieldset className="picker" disabled={!canShop || busy}>
            <legend className="visually-hidden">Choose tickets in {section.name}</legend>
            {!canShop && <p className="muted">You can pick tickets when it's your turn.</p>}
            {section.kind === 'ga' && section.ticketTypes.length > 0 ? (
              <TypePicker section={section} currency={e.currency} maxQuantity={e.maxTicketsPerOrder} onHold={hold} />
            ) : section.kind === 'seated' ? (
              <SeatedPicker
                section={section}
                seats={(seats.data ?? []).filter((s) => s.sectionId === section.id)}
                selected={selected}
                mine={mySeatIds}
                onToggle={toggleSeat}
                currency={e.currency}
                maxQuantity={e.maxTicketsPerOrder}
                onHold={hold}
              />
            ) : (
              <QuantityPicker section={section} currency={e.currency} maxQuantity={e.maxTicketsPerOrder} onHold={hold} />
            )}
          </fieldset>
        )}
      </section>

      {(allSoldOut || (section && section.available === 0)) && <WaitlistPanel event={e} sectionId={allSoldOut ? undefined : section?.id} entry={waitlistEntry} />}
    </article>
  );
}

function QuantitySelect({ max, value, onChange, id }: { max: number; value: number; onChange: (n: number) => void; id: string }) {
  return (
    <div className="stepper">
      <button type="button" className="icon-button" aria-label="One fewer" onClick={() => onChange(Math.max(1, value - 1))} disabled={value <= 1}>−</button>
      <input id={id} type="number" inputMode="numeric" min={1} max={max} value={value} onChange={(e) => onChange(Math.min(max, Math.max(1, Number(e.target.value) || 1)))} />
      <button type="button" className="icon-button" aria-label="One more" onClick={() => onChange(Math.min(max, value + 1))} disabled={value >= max}>+</button>
    </div>
  );
}

function QuantityPicker({ section, currency, maxQuantity, onHold }: { section: Section; currency: string; maxQuantity: number; onHold: (t: HoldTarget) => Promise<void> }) {
  const [quantity, setQuantity] = useState(2);
  const max = Math.min(maxQuantity, section.available);
  const q = Math.min(quantity, max);
  return (
    <div className="quantity-picker">
      <label htmlFor="ga-quantity">Tickets</label>
      <QuantitySelect id="ga-quantity" max={max} value={q} onChange={setQuantity} />
      <button type="button" className="button primary" onClick={() => void onHold({ sectionId: section.id, quantity: q })}>
        Get {q} ticket{q === 1 ? '' : 's'} · {formatMoney(section.price * q, currency)}
      </button>
    </div>
  );
}

interface SeatedProps {
  section: Section;
  seats: Seat[];
  selected: ReadonlySet<string>;
  /** Seats of the buyer's own live holds. */
  mine: ReadonlySet<string>;
  onToggle: (seat: Seat) => void;
  currency: string;
  maxQuantity: number;
  onHold: (t: HoldTarget) => Promise<void>;
}

/** What a ticket type can sell now, in words: "3 left", "Sold out", "On sale 1 May, 10:00". */
function typeAvailability(type: TicketType): string {
  if (!type.onSale) return type.salesStartsAt && new Date(type.salesStartsAt) > new Date() ? `On sale ${formatDate(type.salesStartsAt)}` : 'Sales ended';
  return type.available === 0 ? 'Sold out' : `${type.available} left`;
}

const typeBuyable = (type: TicketType) => type.onSale && type.available > 0;

/** GA with ticket types: a quantity per type, held together (`items`). */
function TypePicker({ section, currency, maxQuantity, onHold }: { section: Section; currency: string; maxQuantity: number; onHold: (t: HoldTarget) => Promise<void> }) {
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const total = Object.values(quantities).reduce((a, b) => a + b, 0);
  const items = section.ticketTypes.filter((t) => (quantities[t.id] ?? 0) > 0).map((t) => ({ ticketTypeId: t.id, quantity: quantities[t.id]! }));
  const price = section.ticketTypes.reduce((sum, t) => sum + (quantities[t.id] ?? 0) * t.price, 0);
  const maxOf = (type: TicketType) => Math.max(0, Math.min(type.maxPerOrder ?? maxQuantity, type.available, maxQuantity - total + (quantities[type.id] ?? 0)));
  return (
    <div className="type-picker">
      <ul className="ticket-types" aria-label={`Ticket types in ${section.name}`}>
        {section.ticketTypes.map((type) => {
          const value = quantities[type.id] ?? 0;
          const set = (n: number) => setQuantities((current) => ({ ...current, [type.id]: Math.max(0, Math.min(maxOf(type), n)) }));
          return (
            <li key={type.id} className="ticket-type" data-testid={`type-${type.name}`}>
              <span className="section-name">{type.name}<small>{typeAvailability(type)}</small></span>
              <span className="section-price">{formatMoney(type.price, currency)}</span>
              {typeBuyable(type) && (
                <span className="stepper">
                  <button type="button" className="icon-button" aria-label={`One fewer ${type.name}`} onClick={() => set(value - 1)} disabled={value <= 0}>−</button>
                  <output aria-label={`${type.name} tickets`}>{value}</output>
                  <button type="button" className="icon-button" aria-label={`One more ${type.name}`} onClick={() => set(value + 1)} disabled={value >= maxOf(type)}>+</button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <button type="button" className="button primary" disabled={total === 0} onClick={() => void onHold({ sectionId: section.id, items })}>
        {total ? `Get ${total} ticket${total === 1 ? '' : 's'} · ${formatMoney(price, currency)}` : 'Choose tickets'}
      </button>
    </div>
  );
}

function SeatedPicker({ section, seats, selected, mine, onToggle, currency, maxQuantity, onHold }: SeatedProps) {
  const [quantity, setQuantity] = useState(2);
  const [typeId, setTypeId] = useState<string | undefined>(section.ticketTypes.find(typeBuyable)?.id);
  const type = section.ticketTypes.find((t) => t.id === typeId);
  const max = Math.min(maxQuantity, type ? Math.min(type.available, type.maxPerOrder ?? maxQuantity) : section.available);
  const q = Math.min(quantity, max);
  const price = type?.price ?? section.price;
  const picked = seats.filter((s) => selected.has(s.id));
  if (seats.length === 0) return <p className="loading">Loading the seat map…</p>;
  if (section.ticketTypes.length > 0 && !type) return <p className="muted">No ticket type of this section is on sale now.</p>;
  return (
    <div className="seated-picker">
      {section.ticketTypes.length > 0 && (
        <div className="section-list" role="radiogroup" aria-label="Ticket type">
          {section.ticketTypes.map((t) => (
            <label key={t.id} className={`section-card ${t.id === typeId ? 'chosen' : ''}`}>
              <input type="radio" name="ticket-type" value={t.id} checked={t.id === typeId} disabled={!typeBuyable(t)} onChange={() => setTypeId(t.id)} />
              <span className="section-name">{t.name}<small>{typeAvailability(t)}</small></span>
              <span className="section-price">{formatMoney(t.price, currency)}</span>
            </label>
          ))}
        </div>
      )}
      <div className="best-available">
        <label htmlFor="best-quantity">Best available</label>
        <QuantitySelect id="best-quantity" max={max} value={q} onChange={setQuantity} />
        <button type="button" className="button" onClick={() => void onHold(type ? { sectionId: section.id, items: [{ ticketTypeId: type.id, quantity: q }] } : { sectionId: section.id, quantity: q })}>Find {q} best seat{q === 1 ? '' : 's'}</button>
      </div>
      <p className="or"><span>or pick on the map</span></p>
      <SeatMap seats={seats} selected={selected} mine={mine} onToggle={onToggle} priceLabel={formatMoney(price, currency)} label={`Seat map of ${section.name}`} />
      <div className="selection-bar" aria-live="polite">
        <span>{picked.length ? `Selected: ${picked.map((s) => s.label).join(', ')}` : 'No seats selected'}</span>
        <button type="button" className="button primary" disabled={picked.length === 0} onClick={() => void onHold({ seatIds: picked.map((s) => s.id), ...(type ? { ticketTypeId: type.id } : {}) })}>
          {picked.length ? `Hold ${picked.length} seat${picked.length === 1 ? '' : 's'} · ${formatMoney(price * picked.length, currency)}` : 'Hold seats'}
        </button>
      </div>
    </div>
  );
}
