import type { TicketVenue } from './ticket-pdf.js';

/** iCalendar text: commas, semicolons and backslashes escaped, newlines as \n (RFC 5545, 3.3.11). */
const escapeText = (text: string) => text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
const stamp = (at: Date) => new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * An .ics file with the event, in UTC (calendars show it on the reader's clock). Events without an
 * end last two hours on the calendar.
 */
export function eventCalendar(eventId: string, venue: TicketVenue): string {
  const start = new Date(venue.startsAt);
  const end = venue.endsAt ? new Date(venue.endsAt) : new Date(start.getTime() + 2 * 3_600_000);
  const where = [venue.venueName, venue.address, venue.city].filter(Boolean).join(', ');
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Onsale//Tickets//EN', 'METHOD:PUBLISH',
    'BEGIN:VEVENT', `UID:${eventId}@onsale`, `DTSTAMP:${stamp(new Date())}`, `DTSTART:${stamp(start)}`, `DTEND:${stamp(end)}`,
    `SUMMARY:${escapeText(venue.eventTitle)}`, `LOCATION:${escapeText(where)}`, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}
