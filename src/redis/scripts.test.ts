import { describe, expect, it } from 'vitest';
import { readScripts, type ScriptName } from './client.js';

// Type-checked against ScriptResults both ways (a missing or an extra name fails `tsc`), then compared
// with the folder at run time, so a .lua file without a declared result type fails, and vice versa.
const declared = {
  queue_join: true, queue_refill: true, queue_freeze: true, queue_admit: true, queue_leave: true, queue_active: true,
  queue_arrive: true, queue_arrive_many: true, queue_claim: true, queue_figures: true, lease_acquire: true, lease_release: true,
  queue_place_reserve: true, queue_join_one: true, queue_join_limited: true, queue_place_settle: true, queue_place_take: true, queue_place_keep: true,
} satisfies Record<ScriptName, true>;

describe('Redis scripts', () => {
  const scripts = readScripts();

  it('declares a result type for every script file in the folder, and no other', () => {
    expect([...scripts.keys()].sort()).toEqual(Object.keys(declared).sort());
  });

  it('replaces every include line with its fragment', () => {
    for (const [name, lua] of scripts) expect(lua, name).not.toMatch(/@include/);
    expect(scripts.get('queue_join')).toContain('local function freeze_at_start');
    expect(scripts.get('queue_freeze')).toContain('local function freeze_at_start');
  });
});
