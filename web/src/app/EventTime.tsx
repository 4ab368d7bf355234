import { eventTimes } from './zones';

/** An event's time in its venue's zone, labelled, with the viewer's local time beside it when it differs. */
export function EventTime({ iso, timeZone }: { iso: string; timeZone: string }) {
  const { venue, local } = eventTimes(iso, timeZone);
  return (
    <>
      <time dateTime={iso}>{venue}</time>
      {local && <span className="local-time"> ({local})</span>}
    </>
  );
}
