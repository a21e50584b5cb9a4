import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookEndpointWithSecret } from '@crypto-checkout/protocol';
import { callApi } from './wait.js';

/** One request a {@link Receiver} got: the raw body bytes and the headers, as a merchant server sees them. */
export interface ReceivedRequest {
  at: number;
  id: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The status answered, or `null` while the request is held open. */
  status: number | null;
}

/**
 * What to do with a request: answer with a status (and optional body, after `delayMs` — a slow
 * merchant), or hold it open.
 */
export type Answer = number | { status: number; body?: string; delayMs?: number } | 'hold';

/**
 * A local merchant endpoint: records every request and answers as `respond` says. `down()` stops
 * listening (connections are refused), `up()` listens again on the same port.
 */
export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  respond: (request: ReceivedRequest) => Answer;
  /** Requests for one `webhook-id`. */
  byId(id: string): ReceivedRequest[];
  up(): Promise<void>;
  down(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const held = new Set<ServerResponse>();
  const handler: Parameters<typeof createServer>[1] = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        at: Date.now(),
        id: String(req.headers['webhook-id']),
        headers: req.headers,
        body: Buffer.concat(chunks),
        status: null,
      };
      receiver.requests.push(request);
      const answer = receiver.respond(request);
      if (answer === 'hold') {
        held.add(res);
        return;
      }
      const {
        status,
        body = `answered ${status}`,
        delayMs = 0,
      } = typeof answer === 'number' ? { status: answer } : answer;
      const send = () => {
        request.status = status;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
      };
      if (delayMs > 0) {
        held.add(res);
        setTimeout(() => {
          held.delete(res);
          if (!res.destroyed) send();
        }, delayMs);
      } else send();
    });
  };
  let server: Server = createServer(handler);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/webhooks`,
    requests: [],
    respond,
    byId: (id) => receiver.requests.filter((r) => r.id === id),
    async up() {
      server = createServer(handler);
      await listen(port);
    },
    async down() {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async close() {
      if (server.listening) await receiver.down();
    },
  };
  return receiver;
}

/**
 * Starts a {@link Receiver} and registers it with the API at `apiUrl` as an endpoint taking `events`;
 * `verified()` gives the payloads received, each checked against its raw bytes with the endpoint's
 * secret (Standard Webhooks), as a merchant's server would.
 * @example const hook = await startEndpoint(stack, ['*']); … hook.verified().filter((p) => p.type === 'sweep.confirmed');
 */
export async function startEndpoint(
  api: { apiUrl: string; secretKey: string },
  events: string[],
): Promise<{ receiver: Receiver; endpoint: WebhookEndpointWithSecret; verified(): { type: string }[] }> {
  const receiver = await startReceiver();
  const endpoint = await callApi<WebhookEndpointWithSecret>(
    api.apiUrl,
    api.secretKey,
    'POST',
    '/v1/webhook_endpoints',
    { url: receiver.url, events },
  );
  const wh = new Webhook(endpoint.secret);
  return {
    receiver,
    endpoint,
    verified: () =>
      receiver.requests.map(
        (r) => wh.verify(r.body.toString(), r.headers as Record<string, string>) as { type: string },
      ),
  };
}
