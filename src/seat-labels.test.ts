import { describe, expect, it } from 'vitest';
import { groupSeatLabels } from './seat-labels.js';

describe('seat labels grouped for people', () => {
  it('joins a row of adjacent seats into one range and splits at gaps', () => {
    expect(groupSeatLabels(['H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9', 'H10'])).toEqual(['Row H, seats 3–10']);
    expect(groupSeatLabels(['B7', 'A1', 'A2', 'A4'])).toEqual(['Row B, seat 7', 'Row A, seats 1–2, 4']);
  });

  it('lists labels that are not a row and a number as they are', () => {
    expect(groupSeatLabels(['Box 1', 'VIP'])).toEqual(['Row Box, seat 1', 'Seat VIP']);
  });
});
