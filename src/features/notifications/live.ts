import { Type, type Static } from '@sinclair/typebox';

/** What `/me/live` sends: one notification; `id` is the outbox id, stable across redeliveries. */
export const LiveNotificationSchema = Type.Object({
  kind: Type.Literal('notification'),
  id: Type.String(),
  type: Type.String(),
  eventId: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
});
export type LiveNotification = Static<typeof LiveNotificationSchema>;

/** A message pushed to a user's open sessions (the socket adds `kind`). */
export type LiveMessage = Omit<LiveNotification, 'kind'>;

/**
 * The live channel, in-process: the WebSocket layer subscribes each open session and forwards what
 * is published. With several nodes, each node's dispatcher reaches only the sessions open on it.
 */
export interface LiveHub {
  /** Sends to every open session of the user; returns how many received it. */
  publish(userId: string, message: LiveMessage): number;
  /** Registers a session; call the returned function when it closes. */
  subscribe(userId: string, listener: (message: LiveMessage) => void): () => void;
}

export function createLiveHub(): LiveHub {
  const sessions = new Map<string, Set<(message: LiveMessage) => void>>();
  return {
    publish(userId, message) {
      const listeners = [...(sessions.get(userId) ?? [])];
      for (const listener of listeners) listener(message);
      return listeners.length;
    },
    subscribe(userId, listener) {
      const set = sessions.get(userId) ?? new Set();
      set.add(listener);
      sessions.set(userId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) sessions.delete(userId);
      };
    },
  };
}
