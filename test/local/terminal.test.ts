import { describe, expect, it } from 'vitest';
import { plain } from '../../src/local/terminal.js';

describe("the terminal's plain text of Slack's markup", () => {
  it('prints a date as its UTC time, and one beyond what a Date holds as its fallback', () => {
    expect(plain('due <!date^1764835200^{date_short} {time}|Dec 4>')).toBe('due 2025-12-04T08:00:00Z');
    expect(plain('due <!date^99999999999999^{date}|far ahead>')).toBe('due far ahead');
  });
});
