import { Type, type Static } from '@sinclair/typebox';

/** The waiting room as the organizer's dashboard shows it (`GET /events/:id/stats`). */
export const QueueFiguresSchema = Type.Object({
  state: Type.Union([Type.Literal('pre_queue'), Type.Literal('on_sale'), Type.Literal('paused'), Type.Literal('sold_out')], {
    description: 'pre_queue before the start; then whether the advancer admits (on_sale), waits for held stock to return (paused), or has nothing left (sold_out)',
  }),
  length: Type.Integer({ description: 'Places in line not yet admitted (before the start: everyone in the pre-queue). Counts places, so one whose holder left counts until the line passes it' }),
  issued: Type.Integer({ description: 'Places handed out so far' }),
  admittedThrough: Type.Integer({ description: 'Places admitted so far (the watermark)' }),
  activeShoppers: Type.Integer({ description: 'Admitted people taking a shopper place: window open, not left or checked out, and arrived or still within the arrival grace (may briefly exceed maxActiveShoppers after late arrivals)' }),
  admittedPerMinute: Type.Integer({ description: 'Places admitted in the last 60 seconds, measured from the admission log' }),
});
export type QueueFigures = Static<typeof QueueFiguresSchema>;
