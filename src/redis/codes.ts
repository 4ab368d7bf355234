import { RedisBusyError } from './client.js';

/**
 * The codes Lua scripts answer instead of a result, mirroring scripts/includes/codes.lua (codes.test.ts
 * checks the two agree). Call sites compare with these names, never with raw numbers.
 */
export const scriptCode = {
  blockUsedUp: 0,
  placeEnded: -1,
  metaMissing: -2,
  readAgain: -3,
  reserveAgain: -4,
  admissionPending: -5,
  joinInFlight: -6,
  rateLimited: -7,
} as const;

export type ScriptCode = (typeof scriptCode)[keyof typeof scriptCode];

const persistentCodeMeanings: Record<ScriptCode, string> = {
  [scriptCode.blockUsedUp]: 'kept running out of reserved places',
  [scriptCode.placeEnded]: 'ended the place',
  [scriptCode.metaMissing]: 'lost its Redis state again while being rebuilt',
  [scriptCode.readAgain]: 'kept moving past a place being claimed',
  [scriptCode.reserveAgain]: 'lost its Redis state after each reservation',
  [scriptCode.admissionPending]: 'could not bring an admission from PostgreSQL into Redis',
  [scriptCode.joinInFlight]: 'kept meeting another join of the same account',
  [scriptCode.rateLimited]: 'refused a join over its rate limits',
};

/**
 * The domain error for a code a script still answers after the caller's bounded retries (rebuild,
 * reserve, read again; see limits.ts), the one place such codes become errors (as BullMQ's
 * finishedErrors): work that could not finish within its bounds, answered 503 (try again shortly).
 */
export const scriptCodeError = (code: ScriptCode, what: string): RedisBusyError =>
  new RedisBusyError(`The ${what} ${persistentCodeMeanings[code]}.`);
