import { useState } from 'react';
import { api } from '../../api/client';
import type { EventDetail, Section } from '../../api/types';
import { formatDate, formatMoney } from '../../app/format';
import { useSubmit } from '../../app/hooks';

type TicketType = Section['ticketTypes'][number];
type Visibility = TicketType['visibility'];

const visibilityWords: Record<Visibility, string> = { public: 'Public', code: 'With a code only', hidden: 'Hidden (retired)' };
const toMinor = (price: string) => Math.round(Number(price.replace(',', '.')) * 100);
const fromMinor = (minor: number) => (minor / 100).toFixed(2);
/** An ISO instant as a datetime-local value in the browser's time, and back. */
const toLocal = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocal = (local: string) => (local ? new Date(local).toISOString() : null);
const wholeOrNull = (text: string) => (text.trim() === '' ? null : Number(text));

interface Draft { name: string; price: string; quota: string; maxPerOrder: string; visibility: Visibility; salesStartsAt: string; salesEndsAt: string }
const emptyDraft: Draft = { name: '', price: '', quota: '', maxPerOrder: '', visibility: 'public', salesStartsAt: '', salesEndsAt: '' };
const draftOf = (t: TicketType): Draft => ({
  name: t.name, price: fromMinor(t.price), quota: t.quota === null ? '' : String(t.quota), maxPerOrder: t.maxPerOrder === null ? '' : String(t.maxPerOrder),
  visibility: t.visibility, salesStartsAt: toLocal(t.salesStartsAt), salesEndsAt: toLocal(t.salesEndsAt),
});
const fieldsOf = (d: Draft) => ({
  name: d.name.trim(), price: toMinor(d.price), quota: wholeOrNull(d.quota), maxPerOrder: wholeOrNull(d.maxPerOrder), visibility: d.visibility,
  salesStartsAt: fromLocal(d.salesStartsAt), salesEndsAt: fromLocal(d.salesEndsAt),
});

/** One type's fields as a form: adds a type (no `type`) or changes one. */
function TypeForm({ eventId, sectionId, type, onSaved, label }: { eventId: string; sectionId: string; type?: TicketType; onSaved: () => Promise<void>; label: string }) {
  const [draft, setDraft] = useState<Draft>(type ? draftOf(type) : emptyDraft);
  const field = (name: Exclude<keyof Draft, 'visibility'>) => ({ value: draft[name], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }) });
  const save = useSubmit(async () => {
    await api.events.editTicketTypes(eventId, sectionId, [{ ...(type ? { id: type.id } : {}), ...fieldsOf(draft) }]);
    if (!type) setDraft(emptyDraft);
    await onSaved();
  });
  return (
    <form onSubmit={save.submit} aria-label={label} className="type-form">
      <div className="row">
        <label className="field"><span>Name</span><input required maxLength={200} {...field('name')} /></label>
        <label className="field"><span>Price</span><input required inputMode="decimal" pattern="[0-9]+([.,][0-9]{1,2})?" {...field('price')} /></label>
        <label className="field"><span>Quota</span><input type="number" min={0} placeholder="Section's stock" {...field('quota')} /></label>
        <label className="field"><span>Max per order</span><input type="number" min={1} placeholder="Event's limit" {...field('maxPerOrder')} /></label>
        <label className="field">
          <span>Visibility</span>
          <select value={draft.visibility} onChange={(e) => setDraft({ ...draft, visibility: e.target.value as Visibility })}>
            {(Object.keys(visibilityWords) as Visibility[]).map((v) => <option key={v} value={v}>{visibilityWords[v]}</option>)}
          </select>
        </label>
        <label className="field"><span>Sales start (your time)</span><input type="datetime-local" {...field('salesStartsAt')} /></label>
        <label className="field"><span>Sales end (your time)</span><input type="datetime-local" {...field('salesEndsAt')} /></label>
      </div>
      <button type="submit" className="button primary" disabled={save.busy}>{type ? 'Save type' : 'Add type'}</button>
      {save.problem && <p role="alert" className="notice error">{save.problem}</p>}
    </form>
  );
}

/**
 * Ticket types per section (issue 15): the prices a section sells its stock at, each with an optional
 * quota, per-order cap, visibility and sales window. Types are never deleted (tickets name them): hidden
 * retires one.
 */
export function TicketTypesPanel({ event, onSaved }: { event: EventDetail; onSaved: () => Promise<void> }) {
  const [editing, setEditing] = useState<string>();
  return (
    <section className="panel" aria-labelledby="types-title">
      <h2 id="types-title">Ticket types</h2>
      {event.sections.map((section) => (
        <div key={section.id} data-testid={`types-${section.name}`}>
          <h3>{section.name}</h3>
          {section.ticketTypes.length === 0 && <p className="muted">Sold at the section&apos;s price, {formatMoney(section.price, event.currency)}. Add types to sell it at several prices.</p>}
          <ul className="plain-list">
            {section.ticketTypes.map((t) => (
              <li key={t.id} className="list-row">
                {editing === t.id
                  ? <TypeForm eventId={event.id} sectionId={section.id} type={t} label={`Edit ${t.name}`} onSaved={async () => { setEditing(undefined); await onSaved(); }} />
                  : (
                    <>
                      <span>
                        <strong>{t.name}</strong> · {formatMoney(t.price, event.currency)} · {visibilityWords[t.visibility]}
                        <br />
                        <span className="hint">
                          {t.quota !== null ? `quota ${t.quota}, ${t.available} left` : `${t.available} left`}
                          {t.maxPerOrder !== null ? ` · at most ${t.maxPerOrder} per order` : ''}
                          {t.salesStartsAt ? ` · from ${formatDate(t.salesStartsAt)}` : ''}
                          {t.salesEndsAt ? ` · until ${formatDate(t.salesEndsAt)}` : ''}
                        </span>
                      </span>
                      <button type="button" className="button" onClick={() => setEditing(t.id)}>Edit {t.name}</button>
                    </>
                  )}
              </li>
            ))}
          </ul>
          <TypeForm eventId={event.id} sectionId={section.id} label={`New type in ${section.name}`} onSaved={onSaved} />
        </div>
      ))}
    </section>
  );
}
