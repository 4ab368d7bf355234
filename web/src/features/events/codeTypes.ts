import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Output } from '../../api/client';
import { asApiError } from '../../app/hooks';

/** What a checked code does: its kind and the `code`-only ticket types it unlocks (with their sections). */
export type CheckedCode = Output<'POST /events/:id/codes/check'> & { code: string };

/**
 * The code a buyer applied on an event's page, kept for this tab (sessionStorage): coming back from
 * checkout (Back), the page finds it again and lists the types it unlocks while the buyer's hold,
 * made with it, is pending.
 */
const storageKey = (eventId: string) => `onsale.code.${eventId}`;

export function rememberedCode(eventId: string): string {
  try {
    return sessionStorage.getItem(storageKey(eventId)) ?? '';
  } catch {
    return '';
  }
}

/** Checks codes typed on the event page; a valid one (and its unlocked types) stays until another is applied or it fails. */
export function useCodeTypes(eventId: string, loggedIn: boolean) {
  const [applied, setApplied] = useState<CheckedCode>();
  const [problem, setProblem] = useState<string>();
  const apply = async (typed: string) => {
    const code = typed.trim();
    if (!code) return;
    if (!loggedIn) {
      setProblem('Log in to apply a code.');
      return;
    }
    try {
      const checked = await api.codes.check(eventId, code);
      sessionStorage.setItem(storageKey(eventId), code);
      setApplied({ ...checked, code });
      setProblem(undefined);
    } catch (error) {
      sessionStorage.removeItem(storageKey(eventId));
      setApplied(undefined);
      setProblem(asApiError(error).message);
    }
  };
  useEffect(() => {
    const saved = rememberedCode(eventId);
    if (saved && loggedIn) void apply(saved);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [eventId, loggedIn]);
  return { applied, problem, apply };
}
