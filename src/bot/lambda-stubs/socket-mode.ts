/**
 * `@slack/socket-mode` in the bot's Lambda bundle (an esbuild alias, ../lambda-bundling.ts): Bolt's
 * App loads its Socket Mode receiver, and with it undici (half a megabyte), even behind the Lambda receiver,
 * which never makes one. Socket Mode is for `npm start` with an app token, where the real package loads.
 */
export class SocketModeClient {
  constructor() {
    throw new Error('Socket Mode is not part of the bot Lambda; it runs with `npm start` and an app token');
  }
}
