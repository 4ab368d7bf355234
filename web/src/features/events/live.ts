import { useEffect, useRef, useState } from 'react';
import type { EventDetail, LiveMessage } from '../../api/types';

const pollMs = 3000;

/**
 * Live updates for one event over its WebSocket. Where the socket cannot open (a server without the
 * live endpoint answers the upgrade with 404) or drops, `poll` runs every few seconds instead, and
 * the socket is tried again after a while. Returns how updates arrive, for the screen to say so.
 */
export function useLive(eventId: string | undefined, queueToken: string | undefined, onMessage: (message: LiveMessage) => void, poll: () => void, { socket: socketWanted = true } = {}): 'live' | 'polling' {
  const handlers = useRef({ onMessage, poll });
  handlers.current = { onMessage, poll };
  const [mode, setMode] = useState<'live' | 'polling'>('polling');

  useEffect(() => {
    if (!eventId) return;
    let socket: WebSocket | undefined;
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failures = 0;

    const startPolling = () => {
      setMode('polling');
      pollTimer ??= setInterval(() => handlers.current.poll(), pollMs);
    };
    const stopPolling = () => {
      clearInterval(pollTimer);
      pollTimer = undefined;
    };
    const connect = () => {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const params = queueToken ? `?queueToken=${encodeURIComponent(queueToken)}` : '';
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/events/${eventId}/live${params}`);
      socket.onopen = () => {
        failures = 0;
        stopPolling();
        setMode('live');
        handlers.current.poll(); // catch up on anything missed while connecting
      };
      socket.onmessage = (e) => {
        try {
          handlers.current.onMessage(JSON.parse(String(e.data)) as LiveMessage);
        } catch {
          // A message this client does not understand is ignored, not fatal.
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        startPolling();
        failures += 1;
        retryTimer = setTimeout(connect, Math.min(60_000, 2000 * 2 ** failures));
      };
    };
    startPolling();
    if (socketWanted) connect();
    return () => {
      stopped = true;
      stopPolling();
      clearTimeout(retryTimer);
      // Closing a socket still connecting makes the browser log a warning: let it open, then close it.
      const closing = socket;
      if (closing?.readyState === WebSocket.CONNECTING) {
        closing.onmessage = null;
        closing.onopen = () => closing.close();
      } else closing?.close();
    };
  }, [eventId, queueToken, socketWanted]);

  return mode;
}

/**
 * The live socket serves published events with a waiting room; any other event's upgrade is refused
 * (409 queue_not_enabled, 404 for a draft), which the browser logs as an error, so such pages only poll.
 */
export const liveSocketServes = (event: EventDetail | undefined): boolean => event?.status === 'published' && event.onsale?.queue?.enabled === true;
