/** The offset of `timeZone` from UTC at `instantMs`, in ms (Lisbon in summer: +1 h). */
function offsetMs(instantMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(new Date(instantMs));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a venue's clock reads `time` ("20:30") on the day `daysAhead` days after `now` (that
 * day as the venue counts days), so seeded events start at an evening hour where they happen.
 */
export function venueEvening(now: Date, daysAhead: number, time: string, timeZone: string): Date {
  const day = new Date(now.getTime() + daysAhead * 86_400_000 + offsetMs(now.getTime(), timeZone));
  const [hours, minutes] = time.split(':').map(Number);
  const wall = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hours!, minutes!);
  // The offset at the guess, then at the result: across a change of summer time the two differ once.
  const guess = wall - offsetMs(wall, timeZone);
  return new Date(wall - offsetMs(guess, timeZone));
}
