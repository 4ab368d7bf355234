/**
 * Development logs a person can read: pino's JSON lines turned into one short line each. A request is
 * `12:04:31 INFO  GET /api/v1/events 200 4 ms` (only its completion: the "incoming request" line says
 * nothing more); any other message is its time, level, text and remaining fields, an error with its
 * stack. Written synchronously to the stream given, in the process: no worker thread, no dependency.
 */

interface Writable {
  write(text: string): unknown;
}

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has (shown in its own way) or that only say which process wrote it. */
const shownApart = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime', 'err']);

const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

function fieldsOf(record: LogRecord): string {
  const rest = Object.entries(record).filter(([key]) => !shownApart.has(key));
  return rest.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
}

interface LogRecord {
  level?: number;
  time?: number;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  [key: string]: unknown;
}

/** One pino JSON line as a readable line (undefined: nothing worth a line). */
export function prettyLine(json: string): string | undefined {
  let record: LogRecord;
  try {
    record = JSON.parse(json) as LogRecord;
  } catch {
    return json.trimEnd();
  }
  if (record.msg === 'incoming request') return undefined;
  const head = `${clock(record.time ?? Date.now())} ${(levelNames[record.level ?? 30] ?? 'INFO').padEnd(5)}`;
  if (record.msg === 'request completed' && record.req) {
    const ms = record.responseTime === undefined ? '' : ` ${Math.round(record.responseTime)} ms`;
    return `${head} ${record.req.method} ${record.req.url} ${record.res?.statusCode ?? ''}${ms}`;
  }
  const fields = fieldsOf(record);
  const error = record.err?.stack ?? record.err?.message;
  return [`${head} ${record.msg ?? ''}${fields ? `  ${fields}` : ''}`, ...(error ? [error] : [])].join('\n');
}

/** A pino destination that writes `prettyLine`s to `out`. */
export function prettyDestination(out: Writable): { write(line: string): void } {
  return {
    write(line) {
      const text = prettyLine(line);
      if (text !== undefined) out.write(`${text}\n`);
    },
  };
}
