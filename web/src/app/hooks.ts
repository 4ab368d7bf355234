import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, currentSession, onSessionChange } from '../api/client';
import type { Session } from '../api/types';
import { errorMessages } from './errors';

export function useSession(): Session | null {
  const [session, setSession] = useState(currentSession);
  useEffect(() => onSessionChange(setSession), []);
  return session;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads data for a screen; `reload` refetches without clearing what is shown (live refresh).
 * Each load gets a signal that is aborted when a newer load starts or the screen goes away, and only
 * the newest load may set the state: a slow answer for the previous event never replaces this one's.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef<AbortController | undefined>(undefined);
  const reload = useCallback(async () => {
    latest.current?.abort();
    const controller = new AbortController();
    latest.current = controller;
    try {
      const data = await loadRef.current(controller.signal);
      if (!controller.signal.aborted) setState({ data, loading: false });
    } catch (error) {
      if (!controller.signal.aborted) setState((s) => ({ ...s, error: asApiError(error), loading: false }));
    }
  }, []);
  useEffect(() => {
    setState({ loading: true });
    void reload();
    return () => latest.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError ? error : new ApiError(0, 'network_error', errorMessages.network_error);

/** A form's submission: `busy` while `action` runs, and its failure in people's words as `problem`. */
export function useSubmit(action: () => Promise<unknown>): { submit: (e: FormEvent) => void; busy: boolean; problem: string | undefined } {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    action()
      .catch((error: unknown) => setProblem(asApiError(error).message))
      .finally(() => setBusy(false));
  };
  return { submit, busy, problem };
}

/** Seconds left until `until` (ISO), ticking every second; 0 once passed. */
export function useSecondsLeft(until: string | undefined): number | undefined {
  const compute = () => (until ? Math.max(0, Math.ceil((Date.parse(until) - Date.now()) / 1000)) : undefined);
  const [left, setLeft] = useState(compute);
  useEffect(() => {
    setLeft(compute());
    if (!until) return;
    const timer = setInterval(() => setLeft(compute()), 1000);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [until]);
  return left;
}

export function useInterval(callback: () => void, ms: number | null): void {
  const saved = useRef(callback);
  saved.current = callback;
  useEffect(() => {
    if (ms === null) return;
    const timer = setInterval(() => saved.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}
