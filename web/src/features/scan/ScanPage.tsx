import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { mayUse, useOrganizations } from '../team/organizations';
import { useSession } from '../../app/hooks';
import { createScanner, type Conflict, type LocalState, type Scanner, type Verdict } from './scanner';

const tokenKey = (eventId: string) => `onsale.scan.device.${eventId}`;

/**
 * The device token from a pairing link (`/scan/<eventId>#token=osd_…`: in the fragment, so it never
 * reaches a server log), else the one this browser was paired with before.
 */
function pairedToken(eventId: string): string | null {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    localStorage.setItem(tokenKey(eventId), fromLink);
    history.replaceState(null, '', location.pathname);
  }
  return localStorage.getItem(tokenKey(eventId));
}

/** A short tone: high for admitted, low for refused. */
function beep(ok: boolean): void {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = ok ? 880 : 220;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (ok ? 0.15 : 0.4));
    tone.onended = () => void audio.close();
  } catch {
    // No audio device: the colour says it all.
  }
}

const time = (iso: string) => new Date(iso).toLocaleTimeString();
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function ScanPage({ eventId }: { eventId: string }) {
  const session = useSession();
  const [token, setToken] = useState(() => pairedToken(eventId));
  const { organizations } = useOrganizations();
  // The platform admin, or someone whose role may check in (the server checks it is this event's organization).
  const admin = session?.user.role === 'admin' || organizations.some((o) => mayUse(o, 'scan'));
  const scanner = useRef<Scanner | null>(null);
  const [state, setState] = useState<LocalState | null>(null);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [pending, setPending] = useState(0);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [online, setOnline] = useState(navigator.onLine);
  const [problem, setProblem] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [gate, setGate] = useState('');

  const refresh = useCallback(async () => {
    const current = scanner.current;
    if (!current) return;
    setState(await current.readState());
    setPending(await current.pending());
  }, []);

  const sync = useCallback(async () => {
    const current = scanner.current;
    if (!current || !navigator.onLine) return;
    try {
      const { conflicts: found } = await current.sync();
      if (found.length) setConflicts((previous) => [...previous, ...found]);
      setProblem(null);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : 'Could not sync');
    }
    await refresh();
  }, [refresh]);

  // Credentials: a paired device, or a logged-in admin or door staff on this browser.
  useEffect(() => {
    if (!token && !admin) return;
    scanner.current = createScanner(eventId, token);
    void (async () => {
      await refresh();
      await sync();
    })();
  }, [eventId, token, admin, refresh, sync]);

  useEffect(() => {
    const up = () => {
      setOnline(true);
      void sync();
    };
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    // The page works offline once loaded here: the service worker keeps its files.
    navigator.serviceWorker?.register('/scan-sw.js', { scope: '/scan/' }).catch(() => undefined);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, [sync]);

  const scan = useCallback(async (value: string) => {
    if (!scanner.current || !value.trim()) return;
    const result = await scanner.current.scan(value.trim(), gate.trim() || undefined);
    setVerdict(result);
    beep(result.ok);
    await refresh();
  }, [gate, refresh]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void scan(code).then(() => setCode(''));
  };

  if (!token && !admin) return <Pairing onPaired={(value) => { localStorage.setItem(tokenKey(eventId), value); setToken(value); }} />;

  const checkedIn = state ? Object.keys(state.checkins).length : 0;
  return (
    <section className="panel scan-page">
      <h1>Door scanner</h1>
      <p role="status" data-testid="scan-status">
        {online ? 'Online' : 'Offline'} · {state ? `${plural(Object.keys(state.tickets).length, 'ticket')}, ${checkedIn} checked in` : 'downloading the ticket list…'}
        {pending > 0 && ` · ${plural(pending, 'scan')} waiting to sync`}
      </p>
      <form onSubmit={submit} className="scan-form">
        <label>Ticket code or QR <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" autoCapitalize="characters" /></label>
        <label>Gate <input value={gate} onChange={(e) => setGate(e.target.value)} /></label>
        <button type="submit" className="button primary">Check in</button>
        <button type="button" className="text-button" onClick={() => void sync()} disabled={!online}>Sync now</button>
      </form>
      <Camera onCode={(value) => void scan(value)} />
      {problem && <p role="alert" className="notice error">{problem}</p>}
      {conflicts.length > 0 && (
        <section aria-label="Conflicts" data-testid="scan-conflicts">
          <h2>Conflicts from offline scans</h2>
          <ul>
            {conflicts.map((c, i) => (
              <li key={i}><code>{c.code}</code>: {c.reason === 'already_checked_in' ? `already checked in${c.firstAt ? ` at ${time(c.firstAt)}` : ''}${c.device ? ` by ${c.device}` : ''}` : c.reason}</li>
            ))}
          </ul>
        </section>
      )}
      {verdict && <Result verdict={verdict} onDismiss={() => setVerdict(null)} />}
    </section>
  );
}

/** The full-screen answer: green to let in, red to stop, with the seat and the name. */
function Result({ verdict, onDismiss }: { verdict: Verdict; onDismiss: () => void }) {
  const { ok, title, ticket, firstAt } = verdict;
  return (
    <button type="button" className={`scan-result ${ok ? 'ok' : 'refused'}`} data-testid="scan-result" data-ok={ok} data-first-at={firstAt} onClick={onDismiss}
      style={{ position: 'fixed', inset: 0, zIndex: 100, border: 0, color: '#fff', background: ok ? '#137333' : '#b3261e', fontSize: '1.5rem', display: 'grid', placeContent: 'center', gap: '0.5rem' }}>
      <strong style={{ fontSize: '2.5rem' }}>{title}</strong>
      {ticket && <span>{ticket.section}{ticket.seat ? ` · seat ${ticket.seat}` : ''}</span>}
      {ticket?.attendeeName && <span>{ticket.attendeeName}</span>}
      {firstAt && <span>First scanned at {time(firstAt)}</span>}
      <small>Tap to scan the next ticket</small>
    </button>
  );
}

function Pairing({ onPaired }: { onPaired: (token: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A pasted pairing link or the bare token.
    const token = new URLSearchParams(value.split('#')[1] ?? '').get('token') ?? value.trim();
    if (token) onPaired(token);
  };
  return (
    <section className="panel">
      <h1>Pair this scanner</h1>
      <p>Paste the pairing link or device token the organizer gave you, or log in as an organizer.</p>
      <form onSubmit={submit}>
        <label>Pairing link or device token <input value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" /></label>
        <button type="submit" className="button primary">Pair</button>
      </form>
    </section>
  );
}

interface Detector { detect(source: CanvasImageSource): Promise<{ rawValue: string }[]> }
declare const BarcodeDetector: { new (options: { formats: string[] }): Detector } | undefined;

/**
 * Camera scanning: the browser's BarcodeDetector where it has one, otherwise jsQR on the video's
 * frames (loaded only when the camera starts). The same code is not reported twice in a row.
 */
function Camera({ onCode }: { onCode: (value: string) => void }) {
  const [on, setOn] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  // The latest handler, without restarting the camera each render.
  const handler = useRef(onCode);
  useEffect(() => {
    handler.current = onCode;
  }, [onCode]);
  useEffect(() => {
    if (!on) return;
    let stopped = false;
    let stream: MediaStream | undefined;
    let last = '';
    void (async () => {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      const element = video.current!;
      element.srcObject = stream;
      await element.play();
      const detector = typeof BarcodeDetector === 'undefined' ? undefined : new BarcodeDetector({ formats: ['qr_code'] });
      const jsQR = detector ? undefined : (await import('jsqr')).default;
      const canvas = document.createElement('canvas');
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      while (!stopped) {
        let found: string | undefined;
        if (element.videoWidth > 0) {
          if (detector) found = (await detector.detect(element))[0]?.rawValue;
          else {
            canvas.width = element.videoWidth;
            canvas.height = element.videoHeight;
            context.drawImage(element, 0, 0);
            found = jsQR!(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height)?.data;
          }
        }
        if (found && found !== last) handler.current(found);
        last = found ?? last;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })().catch(() => setOn(false));
    return () => {
      stopped = true;
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [on]);
  return (
    <div className="scan-camera">
      <button type="button" className="button" onClick={() => setOn(!on)}>{on ? 'Stop camera' : 'Scan with camera'}</button>
      {on && <video ref={video} muted playsInline data-testid="scan-video" style={{ width: '100%', maxWidth: 480 }} />}
    </div>
  );
}
