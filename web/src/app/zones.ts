/**
 * Times in a venue's zone, without a date library: Intl knows every IANA zone, and a wall time in
 * a zone is found from the zone's offset at that moment.
 */

const partsFormat = (timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The wall clock in `timeZone` at instant `ms`, as if it were UTC (so differences are offsets). */
function wallClockMs(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(partsFormat(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

const offsetMs = (ms: number, timeZone: string) => wallClockMs(ms, timeZone) - Math.floor(ms / 1000) * 1000;

/** "Europe/Lisbon" -> "Lisbon", "America/Argentina/Buenos_Aires" -> "Buenos Aires", "UTC" -> "UTC". */
export const zoneLabel = (timeZone: string): string => (timeZone.split('/').at(-1) ?? timeZone).replace(/_/g, ' ');

/** The viewer's own zone. */
export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A `datetime-local` value ("2026-12-12T20:00") read as a wall time in `timeZone` -> ISO instant. */
export function zonedInputToIso(value: string, timeZone: string): string {
  const [date = '', time = '00:00'] = value.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const asUtc = Date.UTC(y!, m! - 1, d!, hh!, mm!);
  // The offset at the guess, then again at the result: across a DST change the two differ once.
  let instant = asUtc - offsetMs(asUtc, timeZone);
  instant = asUtc - offsetMs(instant, timeZone);
  return new Date(instant).toISOString();
}

/** An instant as a `datetime-local` value in `timeZone`. */
export function isoToZonedInput(ms: number, timeZone: string): string {
  return new Date(wallClockMs(ms, timeZone)).toISOString().slice(0, 16);
}

const dateTime: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' };

/**
 * An event time as the venue reads it, labelled ("Sat 12 Dec 2026, 20:00 Lisbon time"), and the
 * viewer's own clock beside it when their zone differs ("15:00 your time", with the day if it differs).
 */
export function eventTimes(iso: string, timeZone: string, viewerZone = viewerTimeZone()): { venue: string; local: string | undefined } {
  const date = new Date(iso);
  const venue = `${new Intl.DateTimeFormat(undefined, { ...dateTime, timeZone }).format(date)} ${zoneLabel(timeZone)} time`;
  if (offsetMs(date.getTime(), timeZone) === offsetMs(date.getTime(), viewerZone)) return { venue, local: undefined };
  const day = (zone: string) => new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: zone }).format(date);
  const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: viewerZone }).format(date);
  return { venue, local: `${day(viewerZone) === day(timeZone) ? time : `${day(viewerZone)}, ${time}`} your time` };
}
