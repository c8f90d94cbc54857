/** What the pages do to text before they show it: no DOM here, so it is tested in Node as it runs in browsers. */

/**
 * Text as shown: without the bidirectional embedding, override and isolate controls, with which a title could
 * show its letters in another order than it has (`\u202Eevil` reads "live"). Right-to-left scripts need none.
 */
export const shown = (text: string): string => text.replace(BIDI_CONTROLS, '');
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
