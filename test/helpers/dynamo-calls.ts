import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TABLE_ACCESS } from '../../infra/stack.js';
import { TABLE } from '../../src/adapters/dynamo/table.js';
import { makeApiHandler } from '../../src/handlers/api.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import type { LocalStack } from '../../src/local/stack.js';
import { buildDeps } from '../../src/runtime/deps.js';

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

/**
 * The api function over a stack's table, its DynamoDB calls recorded: `call` sends it a route's event as API
 * Gateway would (as the admin API token), `outsideGrants` lists the calls infra/stack.ts does not grant it.
 */
export function recordingApi(stack: LocalStack) {
  const { handler: recording, called } = recordingHandler();
  const deps = buildDeps(
    { TMS_TABLE: TABLE.defaultName },
    {
      config: stack.deps.config,
      secrets: stack.deps.secrets,
      dynamo: { ...LOCAL_AWS, endpoint: stack.unstreamedStoreUrl, requestHandler: recording },
    },
  );
  const handler = makeApiHandler(deps);
  return {
    called,
    async call(routeKey: string, body?: unknown, path: Record<string, string> = {}) {
      const answer = (await handler({
        version: '2.0',
        routeKey,
        rawPath: '',
        rawQueryString: '',
        headers: { authorization: 'Bearer local-api-token', 'content-type': 'application/json' },
        pathParameters: path,
        requestContext: {},
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        isBase64Encoded: false,
      } as never)) as { statusCode: number; body?: string };
      // biome-ignore lint/suspicious/noExplicitAny: answers are what the tests examine, field by field
      return { status: answer.statusCode, body: JSON.parse(answer.body || '{}') as any };
    },
    outsideGrants(): string[] {
      const actions: readonly string[] = TABLE_ACCESS.api.actions;
      const indexes: readonly string[] = TABLE_ACCESS.api.indexes;
      return [...called].filter((call) => {
        const [operation = '', index] = call.split(' ');
        return !actions.includes(operation) || (index !== undefined && !indexes.includes(index));
      });
    },
  };
}
