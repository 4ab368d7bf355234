import { AppError } from '../../errors.js';

/**
 * SQL for when the sale of event `e` (an alias of `events`) opens, if it has not opened yet by the
 * database's clock: the event's `onsale.startsAt` while it is in the future, else null (open, or no
 * opening set: an event without on-sale settings sells once published). Read it in the transaction
 * that sells, so no node's clock decides.
 */
export const saleOpensLater = (e: string) => `(select o.starts_at from event_onsale o where o.event_id = ${e}.id and o.starts_at > now())`;

export const saleNotOpenYet = (opensAt: Date) =>
  new AppError('not_on_sale', `The sale opens at ${opensAt.toISOString()}.`, { opensAt: opensAt.toISOString() });
