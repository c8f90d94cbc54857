/**
 * `@slack/oauth` in the bot's Lambda bundle (an esbuild alias, ../lambda-bundling.ts): only
 * Bolt's HTTP and Socket Mode receivers make an InstallProvider (for OAuth installs, which TMS does not
 * offer), and with the package come jsonwebtoken and semver, run at the cold start; the Lambda receiver
 * makes none.
 */
export class InstallProvider {
  constructor() {
    throw new Error('OAuth installs are not part of the bot Lambda: TMS runs with one bot token');
  }
}
