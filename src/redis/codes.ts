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
} as const;

export type ScriptCode = (typeof scriptCode)[keyof typeof scriptCode];
