import { describe, expect, it } from 'vitest';
import { shown } from '../../web/shared/text.js';

describe("the web pages' text", () => {
  it('drops the bidirectional controls with which a title would show its letters in another order', () => {
    // What an attack run sent through ingest and /tms comment: "‮evil‬" was drawn as "live" on both pages.
    expect(shown('\u202Eevil\u202C')).toBe('evil');
    expect(shown('a\u2066b\u2069c\u202Dd')).toBe('abcd');
  });

  it('keeps right-to-left scripts and every other character as written', () => {
    expect(shown('שרת db-1 נפל · خطأ <b>&amp;')).toBe('שרת db-1 נפל · خطأ <b>&amp;');
  });
});
