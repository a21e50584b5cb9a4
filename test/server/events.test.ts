import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Address } from 'viem';
import type { BuyerSession, ErrorBody, Session, SessionEvent } from '@crypto-checkout/protocol';
import { parseConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';
import { testLogger } from '../support/logs.js';

const HEARTBEAT_MS = 200;

/** One SSE message block: its `id:`, `data:` lines joined, `retry:` and comment lines. */
interface SseMessage {
  id?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

function parseBlock(block: string): SseMessage {
  const message: SseMessage = { comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      message.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') message.id = value;
    else if (field === 'data')
      message.data = message.data === undefined ? value : `${message.data}\n${value}`;
    else if (field === 'retry') message.retry = value;
  }
  return message;
}

/** An event stream read with fetch: messages split on blank lines. */
interface SseStream {
  response: Response;
  /** Every comment line seen so far (heartbeats). */
  comments: string[];
  /** The next message block, or `null` once the server has ended the stream. */
  next(timeoutMs?: number): Promise<SseMessage | null>;
  /** The next message that carries data (skipping comments and `retry:`), or `null` at the end. */
  nextEvent(timeoutMs?: number): Promise<{ id: string; event: SessionEvent } | null>;
  /** Reads events until the server ends the stream. */
  rest(timeoutMs?: number): Promise<{ id: string; event: SessionEvent }[]>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const comments: string[] = [];
  let buffer = '';
  let ended = false;
  // A read outlives a timeout and is picked up by the next call, so no chunk is ever lost.
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  const next = async (timeoutMs = 5_000): Promise<SseMessage | null> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const message = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        comments.push(...message.comments);
        return message;
      }
      if (ended) return null;
      pending ??= reader.read();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`no SSE message within ${timeoutMs} ms; buffered: ${JSON.stringify(buffer)}`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      const chunk = await Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
      pending = undefined;
      if (chunk.done) ended = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  const nextEvent = async (timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await next(Math.max(1, deadline - Date.now()));
      if (!message) return null;
      if (message.data === undefined) continue;
      assert.ok(message.id !== undefined, `an event without id: ${message.data}`);
      return { id: message.id, event: JSON.parse(message.data) as SessionEvent };
    }
  };
  return {
    response,
    comments,
    next,
    nextEvent,
    async rest(timeoutMs = 5_000) {
      const events: { id: string; event: SessionEvent }[] = [];
      for (let e = await nextEvent(timeoutMs); e; e = await nextEvent(timeoutMs)) events.push(e);
      return events;
    },
    close() {
      controller.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}

describe('GET /v1/sessions/:id/events (SSE over HTTP)', () => {
  let anvil: Anvil;
  let server: RunningServer;
  let usdc: Address;
  let secretKey: string;
  const streams: SseStream[] = [];

  const eventsUrl = (id: string, query = '') => `${server.url}/v1/sessions/${id}/events${query}`;
  /** Opens a stream and remembers it, so that after() closes it even when a test fails. */
  const open = async (url: string, headers: Record<string, string> = {}) => {
    const stream = await openStream(url, headers);
    streams.push(stream);
    return stream;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function createSession(): Promise<Session> {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { ...bearer(secretKey), 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '10.00', currency: 'USD' }),
    });
    assert.equal(response.status, 201);
    return (await response.json()) as Session;
  }
  async function chooseUsdc(session: Session): Promise<BuyerSession> {
    const response = await fetch(`${server.url}/v1/sessions/${session.id}/payment`, {
      method: 'POST',
      headers: { ...bearer(session.client_secret), 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'usdc@anvil' }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as BuyerSession;
  }
  const pay = (address: string) =>
    sendDevPayment(anvil.rpcUrl, address as Address, '10', { address: usdc, decimals: 6 });
  const mine = () => devClients(anvil.rpcUrl).test.mine({ blocks: 1 });
  /** Checks the SSE framing of a run of events and returns their seqs. */
  const seqsOf = (events: { id: string; event: SessionEvent }[]) =>
    events.map(({ id, event }) => {
      assert.equal(id, String(event.seq), 'the SSE id is the seq');
      return event.seq;
    });

  before(async () => {
    anvil = await startAnvil();
    usdc = await deployTestToken(anvil.rpcUrl);
    secretKey = testSecretKey();
    const config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'anvil',
          id: 31337,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          confirmations: 2,
          polling_interval_ms: 100,
          tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
        },
      ],
      log_level: 'warn',
    });
    server = await startServer(config, { logger: testLogger(), heartbeatMs: HEARTBEAT_MS });
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await server?.stop();
    await anvil?.stop();
  });

  test('without Last-Event-ID the first message is the current state: the latest event', async () => {
    const session = await createSession();
    const chosen = await chooseUsdc(session);
    const stream = await open(eventsUrl(session.id), bearer(session.client_secret));
    assert.equal(stream.response.status, 200);
    assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const first = await stream.nextEvent();
    assert.ok(first);
    assert.equal(first.id, '2');
    assert.equal(first.event.seq, 2);
    assert.equal(first.event.type, 'session.updated');
    assert.equal(first.event.session.status, 'open');
    assert.equal(first.event.session.payment!.address, chosen.payment!.address);
    assert.equal('client_secret' in first.event.session, false);
    stream.close();
  });

  let paidSession: Session;

  test('a live stream sends every change in order with id = seq, and ends by itself after session.paid', async () => {
    const session = await createSession();
    paidSession = session;
    const stream = await open(eventsUrl(session.id), bearer(session.client_secret));
    const received = [(await stream.nextEvent())!];
    assert.equal(received[0]!.event.type, 'session.open');

    const chosen = await chooseUsdc(session);
    received.push((await stream.nextEvent())!);
    assert.equal(received[1]!.event.type, 'session.updated');

    await pay(chosen.payment!.address);
    const processing = (await stream.nextEvent())!;
    received.push(processing);
    assert.equal(processing.event.type, 'session.processing');
    assert.equal(processing.event.session.transfers[0]!.confirmations, 1);

    await mine();
    received.push(...(await stream.rest()));
    assert.deepEqual(seqsOf(received), [1, 2, 3, 4]);
    assert.equal(received.at(-1)!.event.type, 'session.paid');
    assert.equal(received.at(-1)!.event.session.status, 'paid');
    // rest() returned: the server ended the response after the terminal event.
    assert.equal(await stream.next(), null);
  });

  test('reconnecting with Last-Event-ID replays exactly the events after it; after the last one it answers 204', async () => {
    const { id, client_secret } = paidSession;
    const replay = async (lastEventId: string) => {
      const stream = await open(eventsUrl(id), { ...bearer(client_secret), 'last-event-id': lastEventId });
      assert.equal(stream.response.status, 200);
      return seqsOf(await stream.rest());
    };
    assert.deepEqual(await replay('0'), [1, 2, 3, 4]);
    assert.deepEqual(await replay('1'), [2, 3, 4]);
    assert.deepEqual(await replay('3'), [4]);
    // The query parameter does the same for clients that cannot set the header.
    const viaQuery = await open(eventsUrl(id, `?last_event_id=2&client_secret=${client_secret}`));
    assert.deepEqual(seqsOf(await viaQuery.rest()), [3, 4]);
    // Without Last-Event-ID a finished session still answers its final state once.
    const current = await open(eventsUrl(id), bearer(client_secret));
    assert.deepEqual(seqsOf(await current.rest()), [4]);

    const done = await fetch(eventsUrl(id), { headers: { ...bearer(client_secret), 'last-event-id': '4' } });
    assert.equal(done.status, 204);
    assert.equal(await done.text(), '');
  });

  test('a reconnect in mid-session replays what was missed, then continues live without gaps or repeats', async () => {
    const session = await createSession();
    const chosen = await chooseUsdc(session);
    const first = await open(eventsUrl(session.id), {
      ...bearer(session.client_secret),
      'last-event-id': '1',
    });
    assert.deepEqual(seqsOf([(await first.nextEvent())!]), [2]);
    first.close();

    // While nobody listens the transfer is seen (event 3).
    await pay(chosen.payment!.address);
    await waitFor(
      async () => ((await server.app.store.latestEvent(session.id))?.seq ?? 0) >= 3,
      10_000,
      'event 3',
    );

    const second = await open(eventsUrl(session.id), {
      ...bearer(session.client_secret),
      'last-event-id': '2',
    });
    const replayed = (await second.nextEvent())!;
    assert.equal(replayed.event.type, 'session.processing');
    await mine();
    assert.deepEqual(seqsOf([replayed, ...(await second.rest())]), [3, 4]);
  });

  test('an expired session without an address ends its stream; with an address the stream stays open for late payments', async () => {
    const unchosen = await createSession();
    await server.app.store.setExpiresAt(unchosen.id, new Date());
    await server.app.sessions.expireDue();
    const ended = await open(eventsUrl(unchosen.id), bearer(unchosen.client_secret));
    const last = (await ended.rest()).at(-1)!;
    assert.equal(last.event.type, 'session.expired');
    assert.equal(last.event.session.watch_until, null);
    const again = await fetch(eventsUrl(unchosen.id), {
      headers: { ...bearer(unchosen.client_secret), 'last-event-id': String(last.event.seq) },
    });
    assert.equal(again.status, 204);

    const chosen = await createSession();
    await chooseUsdc(chosen);
    await server.app.store.setExpiresAt(chosen.id, new Date());
    await server.app.sessions.expireDue();
    const open_ = await open(eventsUrl(chosen.id), bearer(chosen.client_secret));
    const expired = await open_.nextEvent();
    assert.equal(expired?.event.type, 'session.expired');
    assert.ok(expired?.event.session.watch_until);
    // Still open: a heartbeat arrives after the expired event, not the end of the stream.
    const heartbeat = await open_.next(HEARTBEAT_MS * 5);
    assert.ok(heartbeat?.comments.includes('heartbeat'), JSON.stringify(heartbeat));
  });

  test('an idle stream sends heartbeat comments', async () => {
    const session = await createSession();
    const stream = await open(eventsUrl(session.id), bearer(session.client_secret));
    assert.equal((await stream.nextEvent())!.event.seq, 1);
    const started = Date.now();
    const heartbeats: SseMessage[] = [];
    while (heartbeats.length < 2) {
      const message = await stream.next(HEARTBEAT_MS * 10);
      assert.ok(message, 'the stream ended');
      assert.equal(message.data, undefined, 'an idle session sent an event');
      if (message.comments.includes('heartbeat')) heartbeats.push(message);
    }
    assert.ok(Date.now() - started >= HEARTBEAT_MS, 'heartbeats are paced by heartbeatMs');
    stream.close();
  });

  test('the client secret in the query works (EventSource cannot send headers)', async () => {
    const session = await createSession();
    const stream = await open(
      eventsUrl(session.id, `?client_secret=${encodeURIComponent(session.client_secret)}`),
    );
    assert.equal(stream.response.status, 200);
    const first = await stream.nextEvent();
    assert.equal(first!.event.session.id, session.id);
    assert.equal(first!.event.type, 'session.open');
    stream.close();
  });

  test("another session's client secret is refused with 403, in the header and in the query", async () => {
    const mine = await createSession();
    const other = await createSession();
    const inHeader = await fetch(eventsUrl(mine.id), { headers: bearer(other.client_secret) });
    assert.equal(inHeader.status, 403);
    assert.equal(((await inHeader.json()) as ErrorBody).error.code, 'forbidden');
    const inQuery = await fetch(eventsUrl(mine.id, `?client_secret=${other.client_secret}`));
    assert.equal(inQuery.status, 403);
    assert.equal(((await inQuery.json()) as ErrorBody).error.code, 'forbidden');
    const none = await fetch(eventsUrl(mine.id));
    assert.equal(none.status, 401);
    await none.body?.cancel();
  });

  test('a Last-Event-ID that is not a non-negative integer answers 400 invalid_request', async () => {
    const session = await createSession();
    for (const bad of ['abc', '-1', '1.5', '1e3', '9999999999']) {
      const response = await fetch(eventsUrl(session.id), {
        headers: { ...bearer(session.client_secret), 'last-event-id': bad },
      });
      assert.equal(response.status, 400, `Last-Event-ID: ${bad}`);
      const body = (await response.json()) as ErrorBody;
      assert.equal(body.error.code, 'invalid_request', bad);
    }
  });
});
