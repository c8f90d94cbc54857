/**
 * `raw-body` in the bot's Lambda bundle (an esbuild alias, ../lambda-bundling.ts): Bolt's HTTP
 * receiver reads a Node request's body with it, and brings iconv-lite (half a megabyte); the Lambda receiver
 * is handed API Gateway's body and never calls it.
 */
export default function getRawBody(): never {
  throw new Error('raw-body is not part of the bot Lambda: its requests come from API Gateway');
}
