import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { LiveSender } from '../../core/ports.js';

/**
 * Messages to the WebSocket API's connections (`POST @connections/{id}`): `endpoint` is the stage's
 * `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. A 410 is a connection that is gone; any other
 * failure is thrown (the SDK has retried throttling already).
 */
export class ApiGatewaySender implements LiveSender {
  readonly #client: ApiGatewayManagementApiClient;

  constructor(endpoint: string, config: ApiGatewayManagementApiClientConfig = {}) {
    this.#client = new ApiGatewayManagementApiClient({ ...config, endpoint });
  }

  async send(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    try {
      await this.#client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(message) }),
      );
      return 'sent';
    } catch (error) {
      if (
        error instanceof GoneException ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
      )
        return 'gone';
      throw error;
    }
  }
}
