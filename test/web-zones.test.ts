import { describe, expect, it } from 'vitest';
import { eventTimes, isoToZonedInput, zoneLabel, zonedInputToIso } from '../web/src/app/zones.js';

describe("times in a venue's zone", () => {
  it('reads an organizer’s wall time in the venue’s zone, summer and winter', () => {
    expect(zonedInputToIso('2026-12-12T20:00', 'Europe/Lisbon')).toBe('2026-12-12T20:00:00.000Z');
    expect(zonedInputToIso('2026-07-12T20:00', 'Europe/Lisbon')).toBe('2026-07-12T19:00:00.000Z');
    expect(zonedInputToIso('2026-12-12T20:00', 'America/New_York')).toBe('2026-12-13T01:00:00.000Z');
    expect(zonedInputToIso('2026-07-12T20:00', 'Asia/Kolkata')).toBe('2026-07-12T14:30:00.000Z');
    // Just after the spring-forward change in Lisbon (01:00 -> 02:00 on 29 March 2026).
    expect(zonedInputToIso('2026-03-29T03:00', 'Europe/Lisbon')).toBe('2026-03-29T02:00:00.000Z');
  });

  it('turns an instant back into the same wall time', () => {
    for (const zone of ['Europe/Lisbon', 'America/New_York', 'Asia/Kolkata', 'UTC']) {
      expect(isoToZonedInput(Date.parse(zonedInputToIso('2026-10-25T20:30', zone)), zone), zone).toBe('2026-10-25T20:30');
    }
  });

  it("labels the venue's time and adds the viewer's only when their zones differ", () => {
    const times = eventTimes('2026-12-12T20:00:00.000Z', 'Europe/Lisbon', 'America/New_York');
    expect(times.venue).toMatch(/(20:00|08:00 PM) Lisbon time$/);
    expect(times.local).toMatch(/^(03:00 PM|15:00) your time$/);
    expect(eventTimes('2026-12-12T20:00:00.000Z', 'Europe/Lisbon', 'Europe/London').local).toBeUndefined();
    expect(eventTimes('2026-12-12T23:30:00.000Z', 'Europe/Lisbon', 'Asia/Tokyo').local).toMatch(/^Sun, 13 Dec, .* your time$|^Sun, Dec 13, .* your time$/);
    expect(zoneLabel('America/Argentina/Buenos_Aires')).toBe('Buenos Aires');
  });
});
