/**
 * A load client for the benches, run in its own process (so that its CPU is not the measured
 * server's event loop, as with autocannon): `connections` concurrent loops send the given requests
 * over keep-alive connections (`node:http` with a keep-alive agent of `connections` sockets: no
 * dependency), each loop waiting for its answer before the next, and
 * it prints `{ count, ms, perSecond, p50, p99, errors }` as JSON. Requests come from a JSON file:
 * `{ url, connections, requests: [{ method, path, headers, body }] }` (each sent once, in order), or
 * `{ url, connections, repeat: n, template: {…} }` (the same request n times).
 * @module
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';

/** One request of a load run. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What a load run sends. */
export interface LoadSpec {
  url: string;
  connections: number;
  requests?: LoadRequest[];
  repeat?: number;
  template?: LoadRequest;
}

/** What a load run measured (latencies in ms, from send to the full answer). */
export interface LoadResult {
  count: number;
  ms: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  firstError: string | null;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const base = new URL(spec.url);

/** Sends one request and resolves with its status and body once the answer is complete. */
function send(request: LoadRequest): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const outgoing = httpRequest(
      { agent, host: base.hostname, port: base.port, method: request.method, path: request.path, headers },
      (answer) => {
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (body += chunk));
        answer.on('end', () => resolve({ statusCode: answer.statusCode ?? 0, body }));
        answer.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
const total = spec.requests ? spec.requests.length : spec.repeat!;
const latencies: number[] = [];
let next = 0;
let errors = 0;
let firstError: string | null = null;

async function loop(): Promise<void> {
  while (next < total) {
    const request = spec.requests ? spec.requests[next]! : spec.template!;
    next += 1;
    const started = performance.now();
    const answer = await send(request);
    const body = answer.body;
    latencies.push(performance.now() - started);
    if (answer.statusCode >= 300) {
      errors += 1;
      firstError ??= `${answer.statusCode} ${body.slice(0, 200)}`;
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: spec.connections }, loop));
const ms = performance.now() - started;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]!;
const result: LoadResult = {
  count: total,
  ms,
  perSecond: (total / ms) * 1000,
  p50: at(50),
  p99: at(99),
  errors,
  firstError,
};
console.log(JSON.stringify(result));
