/**
 * Every Redis key and channel the service uses is built here, under one prefix (tests use a random
 * one, so they isolate themselves and can flush only their own keys). Two hash tags (docs/scaling.md):
 *   - `{<event id>}`: the event's line (counter, places, shoppers, lease), which its scripts touch
 *     together, so it shares one cluster slot;
 *   - `{<user id>}`: an account's place in each event's line, spread over the cluster by account, so
 *     answering "which place is mine" (every repeated join) never touches the event's slot.
 * No script touches keys of both tags: a join runs one script on each, in a crash-safe order.
 */
export function createKeys(prefix: string) {
  const event = (eventId: string, part: string) => `${prefix}q:{${eventId}}:${part}`;
  return {
    /**
     * String: the seq of the account's place in the event's line, or `join:<join id>` while a join
     * is getting it (expires after limits.queueJoinPendingMs). One place per account.
     */
    queuePlace: (eventId: string, userId: string) => `${prefix}q:{${userId}}:place:${eventId}`,
    /** String: the seq one join was given (expires like the mark), so a join repeated with its id gets the same seq. */
    queueJoin: (eventId: string, joinId: string) => event(eventId, `join:${joinId}`),
    prefix,
    /**
     * Hash: counter (last seq given), blockEnd (end of the reserved block), frozen (pre-queue size),
     * applied (watermark applied to `active`), horizon (seqs up to it were given before the last rebuild).
     */
    queueMeta: (eventId: string) => event(eventId, 'meta'),
    /** Set of seqs someone holds (given since the last rebuild, or claimed since by their holder's token; not left). */
    queueMembers: (eventId: string) => event(eventId, 'members'),
    /** Set of seqs that ended: their holder left or checked out, or (claimed after a rebuild) an older place of the account stays, or the window was over. */
    queueDeparted: (eventId: string) => event(eventId, 'departed'),
    /** Sorted set: seq of each active shopper, scored by the end of its shopping window (ms). */
    queueActive: (eventId: string) => event(eventId, 'active'),
    /**
     * Sorted set: seq of each active shopper taking a shopper slot, scored by when it stops taking it:
     * the end of its arrival grace until its holder shows up, then the end of its window. A subset of `active`.
     */
    queueOccupied: (eventId: string) => event(eventId, 'occupied'),
    queueLease: (eventId: string) => event(eventId, 'lease'),
    /** Held by the one node rebuilding an event's queue state, so the rebuild starts from one block. */
    queueRebuildLock: (eventId: string) => event(eventId, 'rebuild'),
    queueUpdates: `${prefix}queue-updates`,
  };
}

export type RedisKeys = ReturnType<typeof createKeys>;
