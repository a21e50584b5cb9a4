/**
 * `npm run bench:detection` — how long after a payment's transaction is mined its session's new
 * status reaches a buyer's event stream: a node SSE client (standing in for the browser's
 * `EventSource`, same endpoint and bytes) reads `GET /v1/sessions/:id/events` while the payment is
 * sent to a local anvil node (automine: the block is mined as the transaction arrives). Two modes of
 * the watcher: the `newHeads` WebSocket subscription (the default for a local node; polling every
 * 60 s, so only the subscription counts) and polling alone at the default 2 s (WebSocket refused).
 * Anchor, measured in the same run: when a separate WebSocket client of anvil gets the `newHeads`
 * notification of the payment's block — the earliest anyone can know the block exists. Prints, over
 * N payments each (`N=…`, default 30), p50/p95 from sending the transaction to the anchor and to the
 * status on the stream, and their difference (inclusion → status in the "browser").
 * Not part of `npm test`: it prints figures, it does not judge them.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { createPublicClient, webSocket } from 'viem';
import type { Session, SessionEvent } from '@crypto-checkout/protocol';
import { devClients, freePort } from '../test/support/chain.js';
import { startStack, type Stack } from '../test/support/stack.js';
import { choose, waitFor } from '../test/support/wait.js';
import { reportFigures } from './support/standalone.js';

const N = Number(process.env.N ?? 30);

/** Opens the session's event stream; `paid` resolves with the time the `paid` event arrived. */
async function openStream(stack: Stack, session: Session) {
  const controller = new AbortController();
  const response = await fetch(
    `${stack.apiUrl}/v1/sessions/${session.id}/events?client_secret=${session.client_secret}`,
    { signal: controller.signal },
  );
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const paid = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before paid');
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').find((line) => line.startsWith('data: '));
        if (!data) continue;
        opened();
        if ((JSON.parse(data.slice(6)) as SessionEvent).session.status === 'paid') return performance.now();
      }
    }
  })();
  await open; // the first event (the current state): the stream is live
  return { paid, close: () => controller.abort() };
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function run(mode: 'subscription' | 'polling (2 s)') {
  const stack = await startStack({
    confirmations: 1,
    chain:
      mode === 'subscription'
        ? { polling_interval_ms: 60_000 }
        : { polling_interval_ms: 2_000, ws_url: `ws://127.0.0.1:${await freePort()}` },
  });
  const expected = mode === 'subscription' ? 'subscription' : 'polling';
  await waitFor(
    async () => {
      const ready = (await (await fetch(`${stack.apiUrl}/ready`)).json()) as {
        chains: { detection: string }[];
      };
      return ready.chains[0]!.detection === expected;
    },
    10_000,
    `detection by ${expected}`,
  );
  // The anchor: a WebSocket client of anvil of its own, timing each newHeads notification.
  const heads = new Map<number, number>();
  const observer = createPublicClient({ transport: webSocket(stack.anvil.wsUrl) });
  const unwatch = observer.watchBlockNumber({
    emitOnBegin: false,
    onBlockNumber: (n) => heads.set(Number(n), performance.now()),
  });
  await waitFor(async () => (await stack.mine(1), heads.size > 0), 10_000, "the anchor's subscription");

  const toHead: number[] = [];
  const toStatus: number[] = [];
  const detection: number[] = [];
  for (let i = 0; i < N; i++) {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const stream = await openStream(stack, session);
    const sent = performance.now();
    const hash = await stack.pay(buyer.payment!.address, buyer.payment!.amount_due);
    const block = Number(
      (await devClients(stack.rpcUrl).public.getTransactionReceipt({ hash: hash as `0x${string}` }))
        .blockNumber,
    );
    const paidAt = await stream.paid;
    stream.close();
    const headAt = await waitFor(() => heads.get(block), 10_000, `newHeads of block ${block}`);
    toHead.push(headAt - sent);
    toStatus.push(paidAt - sent);
    detection.push(paidAt - headAt);
  }
  unwatch();
  // Closed before anvil stops, or viem would try to reconnect it (and print the refusals).
  (await observer.transport.getRpcClient()).close();
  await stack.stop();
  const row = (values: number[]) =>
    `${percentile(values, 0.5).toFixed(1).padStart(7)} ${percentile(values, 0.95).toFixed(1).padStart(7)}`;
  const figures = (values: number[]) => ({ p50: percentile(values, 0.5), p95: percentile(values, 0.95) });
  return {
    mode,
    toHead: row(toHead),
    toStatus: row(toStatus),
    detection: row(detection),
    figures: { toHead: figures(toHead), toStatus: figures(toStatus), detection: figures(detection) },
  };
}

const results = [await run('subscription'), await run('polling (2 s)')];
console.log(`${N} USDC payments each, local anvil (automine), PGlite; ms as p50 p95`);
console.log(
  `${'mode'.padEnd(16)} ${'anchor: send → newHeads'.padStart(24)} ${'send → status on SSE'.padStart(22)} ${'newHeads → status on SSE'.padStart(26)}`,
);
for (const r of results) {
  console.log(
    `${r.mode.padEnd(16)} ${r.toHead.padStart(24)} ${r.toStatus.padStart(22)} ${r.detection.padStart(26)}`,
  );
}
reportFigures({ payments: N, modes: results.map((r) => ({ mode: r.mode, ...r.figures })) });
process.exit(0);
