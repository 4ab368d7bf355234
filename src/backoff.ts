/**
 * Retry spacing shared by the work that is tried again until it succeeds or is parked: notification
 * deliveries and payment settlement. Delay before attempt `attempts + 1`: base * 2^(attempts-1),
 * capped, with up to 10 % jitter so retries spread.
 */
export function backoffMs(attempts: number, settings: { backoffBaseMs: number; backoffMaxMs: number }, random = Math.random): number {
  const exponential = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(exponential * (1 + random() * 0.1));
}
