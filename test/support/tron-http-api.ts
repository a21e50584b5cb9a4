/**
 * A local stand-in for a java-tron node's HTTP API: serves the recorded answers of
 * `tron-fixtures/` on 127.0.0.1 (`/wallet/getnowblock`, `/walletsolidity/getnowblock`), with the
 * block heights a test sets, so the solidified head can follow the anvil chain that stands in for
 * TRON's JSON-RPC. The one seam where TRON's HTTP API is faked; the reader that parses it is real.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const fixture = (name: string): string =>
  readFileSync(new URL(`./tron-fixtures/${name}`, import.meta.url), 'utf8');

/** What the solidity endpoint answers: a recorded block at a height, or one of the recorded failures. */
export type SolidAnswer = number | 'not-synced' | 'error' | { status: number };

/** The running fixture server. */
export interface TronHttpApi {
  /** Base URL, the chain's `http_api_url`. */
  url: string;
  /** Sets what `/walletsolidity/getnowblock` answers from now on. */
  setSolid(answer: SolidAnswer): void;
  /** Sets the height `/wallet/getnowblock` answers. */
  setHead(height: number): void;
  /** Requests per path so far. */
  count(path: string): number;
  close(): Promise<void>;
}

/**
 * The recorded block with its height (and the height prefix of its `blockID`) moved to `height`, and
 * its time to `time` when given (a head block is made every 3 s: its time is about now).
 */
function blockAt(recorded: string, height: number, time?: number): string {
  const block = JSON.parse(recorded) as {
    blockID: string;
    block_header: { raw_data: { number?: number; timestamp?: number } };
  };
  block.blockID = height.toString(16).padStart(16, '0') + block.blockID.slice(16);
  block.block_header.raw_data.number = height;
  if (time !== undefined) block.block_header.raw_data.timestamp = time;
  return JSON.stringify(block);
}

/**
 * Starts the fixture server on a free port.
 * @example const api = await startTronHttpApi(); api.setSolid(5); chain.http_api_url = api.url;
 */
export async function startTronHttpApi(): Promise<TronHttpApi> {
  const head = fixture('wallet-getnowblock.json');
  const solid = fixture('walletsolidity-getnowblock.json');
  let headHeight = JSON.parse(head).block_header.raw_data.number as number;
  let solidAnswer: SolidAnswer = JSON.parse(solid).block_header.raw_data.number as number;
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    request.resume();
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(`${body}\n`);
    };
    // The head's time is now, on TRON's 3 s grid: exported transactions expire by it.
    if (path === '/wallet/getnowblock')
      return send(200, blockAt(head, headHeight, Math.floor(Date.now() / 3_000) * 3_000));
    if (path === '/walletsolidity/getnowblock') {
      if (typeof solidAnswer === 'number') return send(200, blockAt(solid, solidAnswer));
      if (solidAnswer === 'not-synced')
        return send(200, fixture('walletsolidity-getnowblock-not-synced.json'));
      if (solidAnswer === 'error') return send(200, fixture('walletsolidity-error.json'));
      return send(solidAnswer.status, '');
    }
    send(404, '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setSolid: (answer) => void (solidAnswer = answer),
    setHead: (height) => void (headHeight = height),
    count: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
