import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * An SDK request handler that notes what each request asks DynamoDB for, as its X-Amz-Target and body say:
 * the operation, and the index a query names (`Query gsi1`). For tests holding a function's calls to its IAM
 * grants (infra/stack.ts TABLE_ACCESS), which dynalite does not enforce.
 */
export function recordingHandler(): { handler: NodeHttpHandler; called: Set<string> } {
  const called = new Set<string>();
  class Recording extends NodeHttpHandler {
    override handle(...[request, options]: Parameters<NodeHttpHandler['handle']>) {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const body = request.body as string | Uint8Array | undefined;
      const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
      const index = (JSON.parse(text || '{}') as { IndexName?: string }).IndexName;
      called.add(index ? `${operation} ${index}` : operation);
      return super.handle(request, options);
    }
  }
  return { handler: new Recording(), called };
}
