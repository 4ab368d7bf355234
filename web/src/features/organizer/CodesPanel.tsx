import { useState } from 'react';
import { api } from '../../api/client';
import type { Input } from '../../api/client';
import { formatDate } from '../../app/format';
import { asApiError, useLoad, useSubmit } from '../../app/hooks';

type NewCodes = Input<'POST /events/:id/codes'>['body'];
type Kind = NewCodes['kind'];
interface SectionChoice { id: string; name: string; kind: 'ga' | 'seated' }

const kindWords: Record<Kind, string> = { presale: 'Presale', unlock: 'Unlock', discount: 'Discount' };
/** A datetime-local value (the browser's time) as the API's ISO instant; empty: none. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);
const wholeOrNone = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** Saves a blob as a file (the CSV is fetched with the session's token, so it cannot be a plain link). */
function saveFile(blob: Blob, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/**
 * The event's codes (issue 15): make one or generate a batch (with a prefix), optionally setting units
 * of a general-admission section aside for them until they end; list them with their uses and reserve,
 * disable one, and export them as CSV.
 */
export function CodesPanel({ eventId, sections }: { eventId: string; sections: readonly SectionChoice[] }) {
  const codes = useLoad((signal) => api.codes.list(eventId, signal), [eventId]);
  const gaSections = sections.filter((s) => s.kind === 'ga');
  const [mode, setMode] = useState<'one' | 'generate'>('one');
  const [form, setForm] = useState({ code: '', generate: '10', prefix: '', kind: 'presale' as Kind, percent: '', maxUses: '', maxPerOrder: '', validFrom: '', validUntil: '', reserve: '', sectionId: gaSections[0]?.id ?? '' });
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const [lastBatch, setLastBatch] = useState<string | null>(null);
  const field = (name: keyof typeof form) => ({ value: form[name], onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }) });
  const sectionName = (id: string | null) => sections.find((s) => s.id === id)?.name ?? '';

  const create = useSubmit(async () => {
    const reserve = wholeOrNone(form.reserve);
    const maxUses = wholeOrNone(form.maxUses);
    const maxPerOrder = wholeOrNone(form.maxPerOrder);
    const validFrom = instant(form.validFrom);
    const validUntil = instant(form.validUntil);
    const body: NewCodes = {
      kind: form.kind,
      ...(mode === 'one' ? { code: form.code.trim() } : { generate: Number(form.generate), ...(form.prefix.trim() ? { prefix: form.prefix.trim() } : {}) }),
      ...(form.kind === 'discount' ? { discount: { percent: Number(form.percent) } } : {}),
      ...(maxUses !== undefined ? { maxUses } : {}),
      ...(maxPerOrder !== undefined ? { maxPerOrder } : {}),
      ...(validFrom ? { validFrom } : {}),
      ...(validUntil ? { validUntil } : {}),
      ...(reserve !== undefined ? { reserve, sectionId: form.sectionId } : {}),
    };
    const made = await api.codes.create(eventId, body);
    setLastBatch(made.items[0]?.batchId ?? null);
    setMessage({ text: made.items.length === 1 ? `Code ${made.items[0]!.code} made.` : `${made.items.length} codes made.`, error: false });
    setForm({ ...form, code: '' });
    await codes.reload();
  });

  const exportCsv = async (batchId?: string) => {
    try {
      saveFile(await api.codes.csv(eventId, batchId), `codes-${eventId}.csv`);
    } catch (error) {
      setMessage({ text: asApiError(error).message, error: true });
    }
  };
  const resize = async (codeId: string, reserve: number) => {
    try {
      await api.codes.setReserve(eventId, codeId, reserve);
      setMessage({ text: `Reserve set to ${reserve}.`, error: false });
      await codes.reload();
    } catch (error) {
      setMessage({ text: asApiError(error).message, error: true });
    }
  };
  const toggle = async (codeId: string, disabled: boolean) => {
    try {
      await api.codes.setDisabled(eventId, codeId, disabled);
      await codes.reload();
    } catch (error) {
      setMessage({ text: asApiError(error).message, error: true });
    }
  };

  return (
    <section className="panel" aria-labelledby="codes-title">
      <div className="panel-head">
        <h2 id="codes-title">Codes</h2>
        <button type="button" className="button" onClick={() => void exportCsv()}>Export CSV</button>
      </div>
      <form onSubmit={create.submit} aria-label="New codes">
        <div className="row" role="radiogroup" aria-label="One or a batch">
          <label><input type="radio" name="code-mode" checked={mode === 'one'} onChange={() => setMode('one')} /> One code</label>
          <label><input type="radio" name="code-mode" checked={mode === 'generate'} onChange={() => setMode('generate')} /> Generate codes</label>
        </div>
        <div className="row">
          {mode === 'one'
            ? <label className="field"><span>Code</span><input required minLength={3} maxLength={64} pattern="[A-Za-z0-9_\-]+" {...field('code')} /></label>
            : (
              <>
                <label className="field"><span>How many</span><input type="number" required min={1} max={5000} {...field('generate')} /></label>
                <label className="field"><span>Prefix</span><input maxLength={16} pattern="[A-Za-z0-9_\-]+" {...field('prefix')} /></label>
              </>
            )}
          <label className="field">
            <span>Kind</span>
            <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as Kind })}>
              {(Object.keys(kindWords) as Kind[]).map((k) => <option key={k} value={k}>{kindWords[k]}</option>)}
            </select>
          </label>
          {form.kind === 'discount' && <label className="field"><span>Percent off</span><input type="number" required min={1} max={100} {...field('percent')} /></label>}
        </div>
        <div className="row">
          <label className="field"><span>Max uses (tickets)</span><input type="number" min={1} placeholder="No limit" {...field('maxUses')} /></label>
          <label className="field"><span>Max per order</span><input type="number" min={1} placeholder="No limit" {...field('maxPerOrder')} /></label>
          <label className="field"><span>Valid from (your time)</span><input type="datetime-local" {...field('validFrom')} /></label>
          <label className="field"><span>Valid until (your time)</span><input type="datetime-local" required={form.reserve.trim() !== ''} {...field('validUntil')} /></label>
        </div>
        {gaSections.length > 0 && (
          <div className="row">
            <label className="field"><span>Reserve (tickets per code)</span><input type="number" min={1} placeholder="None" {...field('reserve')} /></label>
            <label className="field">
              <span>Reserve in section</span>
              <select value={form.sectionId} onChange={(e) => setForm({ ...form, sectionId: e.target.value })}>
                {gaSections.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
              </select>
            </label>
          </div>
        )}
        <p className="hint">A reserve sets tickets aside for the code&apos;s holders until it ends; what is left then goes back on sale (the waitlist first).</p>
        <button type="submit" className="button primary" disabled={create.busy}>{mode === 'one' ? 'Make code' : 'Generate codes'}</button>
        {lastBatch && <button type="button" className="button" onClick={() => void exportCsv(lastBatch)}>Export this batch</button>}
      </form>
      {create.problem && <p role="alert" className="notice error">{create.problem}</p>}
      {message && <p role={message.error ? 'alert' : 'status'} className={`notice ${message.error ? 'error' : ''}`}>{message.text}</p>}
      {codes.error && <p role="alert" className="notice error">{codes.error.message}</p>}
      {codes.data && codes.data.items.length === 0 && <p className="muted">No codes yet.</p>}
      {codes.data && codes.data.items.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Codes list">
        <table className="stats-table" data-testid="codes">
          <thead><tr><th>Code</th><th>Kind</th><th>Uses</th><th>Reserve</th><th>Valid</th><th>Status</th><th /></tr></thead>
          <tbody>
            {codes.data.items.map((c) => (
              <tr key={c.id} data-testid={`code-${c.code}`}>
                <td><code>{c.code}</code></td>
                <td>{kindWords[c.kind]}{c.discount ? ` (${'percent' in c.discount ? `${c.discount.percent}%` : 'amount'} off)` : ''}</td>
                <td>{c.uses}{c.maxUses !== null ? ` of ${c.maxUses}` : ''}</td>
                <td>
                  {c.reserve !== null ? (c.reserveReleasedAt ? `released ${formatDate(c.reserveReleasedAt)}` : `${c.reserveLeft} of ${c.reserve} left · ${sectionName(c.sectionId)}`) : '—'}
                  {c.reserve !== null && !c.reserveReleasedAt && <ReserveForm code={c.code} reserve={c.reserve} onSet={(n) => resize(c.id, n)} />}
                </td>
                <td>{c.validFrom ? formatDate(c.validFrom) : 'now'} – {c.validUntil ? formatDate(c.validUntil) : 'open'}</td>
                <td>{c.disabled ? 'Disabled' : 'Active'}</td>
                <td><button type="button" className="button" onClick={() => void toggle(c.id, !c.disabled)}>{c.disabled ? 'Enable' : 'Disable'}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}

/** A standing reserve's new size (units already held from it included). */
function ReserveForm({ code, reserve, onSet }: { code: string; reserve: number; onSet: (reserve: number) => Promise<void> }) {
  const [value, setValue] = useState(String(reserve));
  return (
    <form className="row" aria-label={`Change the reserve of ${code}`} onSubmit={(e) => { e.preventDefault(); void onSet(Number(value)); }}>
      <label className="field"><span className="visually-hidden">Reserve of {code}</span><input type="number" min={0} required value={value} onChange={(e) => setValue(e.target.value)} /></label>
      <button type="submit" className="button">Set reserve</button>
    </form>
  );
}
