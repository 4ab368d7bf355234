import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { QueueStatus } from '../../api/types';
import { asApiError } from '../../app/hooks';

/** The place in line survives reloads and new tabs: the token is kept per event. */
interface Saved {
  token: string;
  /** People ahead when first seen, for the progress bar. */
  firstAhead: number;
}
/** setTimeout's largest delay (a 32-bit signed count of milliseconds). */
const timerDelayMsMax = 2 ** 31 - 1;
const storageKey = (eventId: string) => `onsale.queue.${eventId}`;
const load = (eventId: string): Saved | null => {
  try {
    return JSON.parse(localStorage.getItem(storageKey(eventId)) ?? 'null') as Saved | null;
  } catch {
    return null;
  }
};
const save = (eventId: string, saved: Saved | null) =>
  saved ? localStorage.setItem(storageKey(eventId), JSON.stringify(saved)) : localStorage.removeItem(storageKey(eventId));

export interface Queue {
  token: string | undefined;
  status: QueueStatus | undefined;
  /** 0..1: how much of the line ahead has gone in since joining. */
  progress: number;
  error: string | undefined;
  /** Before the waiting room opens: when it does (the page joins by itself then). */
  opensAt: string | undefined;
  apply(status: QueueStatus): void;
  refresh(): Promise<void>;
  rejoin(): Promise<void>;
}

/**
 * The buyer's place in the event's waiting room. Joins on first visit, keeps the token, and reads
 * the status back on reload. `enabled` is false for events without a queue: then it does nothing.
 */
export function useQueue(eventId: string, enabled: boolean): Queue {
  const [saved, setSaved] = useState<Saved | null>(() => (enabled ? load(eventId) : null));
  const [status, setStatus] = useState<QueueStatus | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [opensAt, setOpensAt] = useState<string | undefined>();

  const remember = useCallback((next: Saved | null) => {
    save(eventId, next);
    setSaved(next);
  }, [eventId]);

  const join = useCallback(async () => {
    try {
      const ticket = await api.queue.join(eventId);
      remember({ token: ticket.queueToken, firstAhead: ticket.ahead ?? 0 });
      setStatus(ticket);
      setError(undefined);
      setOpensAt(undefined);
    } catch (e) {
      const failure = asApiError(e);
      if (failure.code === 'queue_not_open' && typeof failure.details.opensAt === 'string') setOpensAt(failure.details.opensAt);
      else setError(failure.message);
    }
  }, [eventId, remember]);

  const refresh = useCallback(async () => {
    const current = load(eventId);
    if (!current) return;
    try {
      setStatus(await api.queue.status(eventId, current.token));
      setError(undefined);
    } catch (e) {
      const failure = asApiError(e);
      // A token the queue no longer knows (queue reset, tampered storage): take a fresh place.
      if (failure.status === 404 || failure.status === 401 || failure.status === 400) {
        remember(null);
        await join();
      } else setError(failure.message);
    }
  }, [eventId, join, remember]);

  useEffect(() => {
    if (!enabled) return;
    const current = load(eventId);
    setSaved(current);
    if (current) void refresh();
    else void join();
  }, [enabled, eventId, join, refresh]);

  // Join when the waiting room opens. A timer cannot wait longer than about 24 days; one that fires
  // early finds the room still closed and waits again.
  useEffect(() => {
    if (!opensAt) return;
    const timer = setTimeout(() => {
      setOpensAt(undefined);
      void join();
    }, Math.min(timerDelayMsMax, Math.max(0, Date.parse(opensAt) - Date.now())));
    return () => clearTimeout(timer);
  }, [opensAt, join]);

  const apply = useCallback((next: QueueStatus) => setStatus((s) => ({ ...s, ...next })), []);

  const rejoin = useCallback(async () => {
    const current = load(eventId);
    if (current) await api.queue.leave(eventId, current.token).catch(() => undefined);
    remember(null);
    await join();
  }, [eventId, join, remember]);

  const firstAhead = Math.max(saved?.firstAhead ?? 0, status?.ahead ?? 0);
  const progress = status?.state === 'admitted' ? 1 : firstAhead > 0 ? 1 - (status?.ahead ?? firstAhead) / firstAhead : 0;
  return { token: saved?.token, status, progress, error, opensAt, apply, refresh, rejoin };
}
