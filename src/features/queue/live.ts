import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Queryable } from '../../db/database.js';
import { IdParams, StrictObject, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { sectionAvailability } from '../inventory/availability.js';
import { notFound } from '../../errors.js';
import type { QueueService, QueueState, QueueStatus } from './queue.js';
import { EventLiveMessageSchema } from './schemas.js';
import type { QueueUpdate } from './store.js';
import type { QueuePlace } from './tokens.js';

type EventLiveMessage = Static<typeof EventLiveMessageSchema>;
const encode = (message: EventLiveMessage) => JSON.stringify(message);

/** Each socket's own state: its place (if it sent a token) and what it was last told, and when. */
interface LiveClient {
  socket: WebSocket;
  place: QueuePlace | undefined;
  /** The queue state last sent (undefined: none yet). */
  state: QueueState | undefined;
  statusSentAt: number;
  /** The queue frame last sent (to send an admission the tick announced once, not again on confirmation). */
  statusFrame: string;
  /** The availability frame last sent, and when. */
  availability: string;
  availabilitySentAt: number;
}

interface EventRoom {
  clients: Set<LiveClient>;
  /** The latest availability frame of the event. */
  availability: string;
}

const heartbeatMs = 1000;
const availabilityMs = 500;
/**
 * A buyer in line hears a new position or stock figure at most this often; a change of state (admitted,
 * sold out, paused, expired) goes out at once. A place in a line of thousands moves every tick, and a frame
 * per tick per socket was most of a node's CPU in a full sale (the `writev` of each frame; the simulation
 * in docs/benchmarks.md): a waiting room that shows the place every few seconds, as the big ones do, loses
 * nothing a waiting buyer can use.
 */
const waitingRefreshMs = 5000;
const waitingStates: ReadonlySet<QueueState | undefined> = new Set(['pre_queue', 'waiting', 'paused']);
/** A client this far behind is not sent more until it catches up (a slow reader must not grow our memory). */
const backlogBytesMax = 256 * 1024;

/**
 * One hub per node fans updates out to its local sockets: queue states when the advancer publishes
 * (pushed across nodes by Redis pub/sub) and at every heartbeat, and section availability polled per
 * event with listeners and sent only when it changed (coalesced: at most two per second); a buyer
 * waiting in line is sent a changed position or figure only every waitingRefreshMs.
 */
export function createLiveHub(deps: { db: Queryable; queue: QueueService; log: FastifyBaseLogger }) {
  const { db, queue, log } = deps;
  const rooms = new Map<string, EventRoom>();

  const send = (client: LiveClient, message: string | Buffer) => {
    if (client.socket.readyState === client.socket.OPEN && client.socket.bufferedAmount < backlogBytesMax) client.socket.send(message);
  };

  /** A waiting client is sent at most every waitingRefreshMs; one shopping or without a place, each time. */
  const due = (client: LiveClient, sentAt: number, now: number) => !waitingStates.has(client.state) || now - sentAt >= waitingRefreshMs;

  /** Sends a client its status when its state changed or it is due. */
  function offerStatus(client: LiveClient, status: QueueStatus, now: number) {
    if (status.state === client.state && !due(client, client.statusSentAt, now)) return;
    const frame = statusFrame(status);
    // Just told exactly this (the tick's own announcement, confirmed by the store): not twice.
    if (frame === client.statusFrame && now - client.statusSentAt < heartbeatMs) return;
    client.state = status.state;
    client.statusSentAt = now;
    client.statusFrame = frame;
    send(client, frame);
  }

  const statusFrame = ({ state, position, ahead, etaSeconds, admittedUntil }: QueueStatus) =>
    encode({ type: 'queue', state, position, ahead, etaSeconds, ...(admittedUntil ? { admittedUntil } : {}) });

  /**
   * A tick that admitted: its sockets in the admitted places hear it at once, from the update alone (no
   * store read per socket), one frame serialized once and sent as the same bytes to each. The room's
   * statuses are then asked of the store at the next heartbeat (within heartbeatMs: marking the arrivals,
   * well within any arrival grace, and correcting a place that had ended meanwhile), not at once: the
   * update is published as soon as PostgreSQL has the admission, and asking Redis before the advancer
   * applied it would make this node apply it too. Those just told are not told the same again.
   */
  function announceAdmissions(update: QueueUpdate): boolean {
    const room = rooms.get(update.eventId);
    if (!room || !update.admitted) return false;
    const clients = [...room.clients];
    const statuses = queue.admittedBy(update, clients.map((client) => client.place));
    let frame: string | undefined;
    let bytes: Buffer | undefined;
    const now = Date.now();
    statuses.forEach((status, i) => {
      if (!status) return;
      frame ??= statusFrame(status);
      bytes ??= Buffer.from(frame);
      const client = clients[i]!;
      client.state = status.state;
      client.statusSentAt = now;
      client.statusFrame = frame;
      send(client, bytes);
    });
    return frame !== undefined;
  }

  /**
   * The statuses of a room's clients, asked in one call (a tick that admits thousands asks the store
   * once). Should that fail, each is asked on its own, so one place the store cannot answer now does
   * not silence the room.
   */
  async function pushStatuses(eventId: string, clients: readonly LiveClient[]): Promise<void> {
    const placed = clients.filter((client) => client.place);
    if (placed.length === 0) return;
    try {
      const statuses = await queue.statuses(eventId, placed.map((client) => client.place!));
      const now = Date.now();
      placed.forEach((client, i) => offerStatus(client, statuses[i]!, now));
    } catch (error) {
      log.debug({ err: error }, 'live status failed');
      if (placed.length > 1) await Promise.all(placed.map((client) => pushStatuses(eventId, [client])));
    }
  }

  const pushRoom = (eventId: string) => {
    const room = rooms.get(eventId);
    if (room) void pushStatuses(eventId, [...room.clients]);
  };

  /** The room's latest availability to each client that has not heard it, when the client is due. */
  const pushAvailability = (room: EventRoom, now: number) => {
    for (const client of room.clients) {
      if (client.availability === room.availability || !due(client, client.availabilitySentAt, now)) continue;
      client.availability = room.availability;
      client.availabilitySentAt = now;
      send(client, room.availability);
    }
  };

  async function pollAvailability(): Promise<void> {
    const eventIds = [...rooms.keys()];
    if (eventIds.length === 0) return;
    const sections = await sectionAvailability(db, eventIds);
    const now = Date.now();
    for (const [eventId, room] of rooms) {
      room.availability = encode({ type: 'availability', sections: sections.filter((s) => s.eventId === eventId).map(({ id, available }) => ({ id, available })) });
      pushAvailability(room, now);
    }
  }

  const unsubscribe = queue.onUpdate((update) => {
    if (!announceAdmissions(update)) pushRoom(update.eventId);
  });
  const heartbeat = setInterval(() => {
    for (const eventId of rooms.keys()) pushRoom(eventId);
  }, heartbeatMs);
  let polling = false;
  const availability = setInterval(() => {
    if (polling) return;
    polling = true;
    pollAvailability().catch((error: unknown) => log.warn({ err: error }, 'availability poll failed')).finally(() => (polling = false));
  }, availabilityMs);
  heartbeat.unref();
  availability.unref();

  return {
    add(eventId: string, socket: WebSocket, place: QueuePlace | undefined) {
      let room = rooms.get(eventId);
      if (!room) {
        room = { clients: new Set(), availability: '' };
        rooms.set(eventId, room);
      }
      const client: LiveClient = { socket, place, state: undefined, statusSentAt: 0, statusFrame: '', availability: '', availabilitySentAt: 0 };
      room.clients.add(client);
      if (room.availability) pushAvailability(room, Date.now());
      void pushStatuses(eventId, [client]);
      socket.on('close', () => {
        room.clients.delete(client);
        if (room.clients.size === 0 && rooms.get(eventId) === room) rooms.delete(eventId);
      });
    },
    close() {
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(availability);
    },
  };
}

export const liveRoutes: FastifyPluginAsyncTypebox<{ db: Queryable; queue: QueueService }> = async (app, { db, queue }) => {
  const hub = createLiveHub({ db, queue, log: app.log });
  app.addHook('onClose', async () => hub.close());

  app.get('/events/:id/live', {
    websocket: true,
    schema: {
      tags: ['queue'],
      summary: 'Live updates (WebSocket): your place in line, and section availability',
      description: 'With `queueToken`: `{type:"queue", state, position, ahead, etaSeconds}` at once when your state changes (admitted, sold out, paused, expired) and, while you wait, a fresh position about every 5 s. Always: `{type:"availability", sections:[{id, available}]}` when stock changes (while you wait in line, at most about every 5 s). Reconnect with the same token to keep your place.',
      params: IdParams,
      querystring: StrictObject({ queueToken: Type.Optional(Type.String({ minLength: 1, maxLength: limits.queueTokenLengthMax })) }),
      response: errorResponses(400, 401, 403, 404),
    },
    // Refused over plain HTTP, before the upgrade: a bad token never gets a socket.
    preHandler: async (request) => {
      const { id } = request.params as { id: string };
      const token = (request.query as { queueToken?: string }).queueToken;
      const place = token === undefined ? undefined : queue.placeFor(id, token);
      if (place) await queue.status(place);
      else if (!(await queue.hasEvent(id))) throw notFound('event');
      (request as unknown as { livePlace?: QueuePlace }).livePlace = place;
    },
  }, (socket, request) => {
    hub.add(request.params.id, socket, (request as unknown as { livePlace?: QueuePlace }).livePlace);
  });
}
