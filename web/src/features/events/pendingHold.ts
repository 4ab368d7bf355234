/**
 * Tickets a buyer picked before logging in, kept across the login or sign-up page (this tab only,
 * as sessionStorage is) so the event page can hold them right after.
 */
export type HoldTarget =
  | { sectionId: string; quantity: number }
  | { sectionId: string; items: { ticketTypeId: string; quantity: number }[] }
  | { seatIds: string[]; ticketTypeId?: string };

const key = 'onsale.pendingHold';

export function rememberPendingHold(eventId: string, target: HoldTarget): void {
  sessionStorage.setItem(key, JSON.stringify({ eventId, target }));
}

/** The tickets picked for this event before logging in, if any. */
export function pendingHoldFor(eventId: string): HoldTarget | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key) ?? 'null') as { eventId: string; target: HoldTarget } | null;
    return saved?.eventId === eventId ? saved.target : undefined;
  } catch {
    return undefined;
  }
}

export function forgetPendingHold(): void {
  sessionStorage.removeItem(key);
}
