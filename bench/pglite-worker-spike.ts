/**
 * A spike, not adopted (docs/performance.md, "Creating sessions"): PGlite in a worker thread, so
 * that its statements (WebAssembly, synchronous) run on the second core instead of between the HTTP
 * requests of the server's thread. `WORKER=1 bench/create-cpu.ts` measures it: the main thread kept
 * ~450 µs of CPU per create against ~400 without it (the messages cost about what the grouped
 * statements did), so it stays here. Errors keep their fields (code, …); transactions are
 * `BEGIN`/`COMMIT` sent in order behind a queue; `listen` forwards notifications. The worker opens PGlite
 * with `openPglite` and answers `query`, `exec` and `listen` messages; the main side
 * ({@link openPgliteInWorker}) is a {@link Database} that serializes like `wrapPglite` does.
 * @module
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Database, QueryResult, Queryable } from '../packages/server/src/store/database.js';

/** A request to the worker. */
type Request =
  | { id: number; op: 'query'; sql: string; params?: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; channel: string }
  | { id: number; op: 'close' };

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An answer from the worker, or a notification. */
type Answer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: Record<string, unknown> }
  | { id: -1; channel: string; payload: string };

/** An error's own fields (code, table, …) and its message, which structured cloning would drop. */
function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    try {
      structuredClone(value);
      fields[key] = value;
    } catch {
      // not cloneable: left out
    }
  }
  return fields;
}

if (!isMainThread && parentPort && (workerData as { pgliteWorker?: boolean })?.pgliteWorker) {
  const port = parentPort;
  const { dataDir, options } = workerData as { dataDir: string; options: { fromTemplate?: boolean } };
  const { openPglite } = await import('../packages/server/src/store/database.js');
  const db = await openPglite(dataDir, options);
  const unlisteners = new Map<string, () => Promise<void>>();
  port.on('message', (request: Request) => {
    const run = async (): Promise<unknown> => {
      switch (request.op) {
        case 'query':
          return (await db.query(request.sql, request.params)).rows;
        case 'exec':
          return db.exec(request.sql);
        case 'listen':
          unlisteners.set(
            request.channel,
            await db.listen(request.channel, (payload) =>
              port.postMessage({ id: -1, channel: request.channel, payload } satisfies Answer),
            ),
          );
          return undefined;
        case 'unlisten':
          await unlisteners.get(request.channel)?.();
          unlisteners.delete(request.channel);
          return undefined;
        case 'close':
          await db.close();
          return undefined;
      }
    };
    run().then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies Answer),
      (error: unknown) =>
        port.postMessage({ id: request.id, ok: false, error: errorFields(error) } satisfies Answer),
    );
  });
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies Answer);
}

/** Opens PGlite in a worker thread (see the module comment). */
export async function openPgliteInWorker(
  dataDir: string,
  options: { fromTemplate?: boolean } = {},
): Promise<Database> {
  const file = new URL(
    import.meta.url.endsWith('.ts') ? './pglite-worker-spike.ts' : './pglite-worker-spike.js',
    import.meta.url,
  );
  const workerData = { pgliteWorker: true, dataDir, options };
  // Run from source, the worker registers tsx itself (Node 20 does not pass `--import` hooks on).
  const worker = file.pathname.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(file, { workerData });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  const listeners = new Map<string, (payload: string) => void>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
    worker.once('error', reject);
  });
  worker.on('message', (answer: Answer) => {
    if ('channel' in answer) return listeners.get(answer.channel)?.(answer.payload);
    const waiter = pending.get(answer.id);
    pending.delete(answer.id);
    if (!waiter) return;
    if ('value' in answer) waiter.resolve(answer.value);
    else waiter.reject(Object.assign(new Error(String(answer.error.message)), answer.error));
  });
  await ready;
  const call = (request: DistributiveOmit<Request, 'id'>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  const raw: Queryable = {
    query: async <Row>(sql: string, params?: unknown[]) =>
      ({ rows: (await call({ op: 'query', sql, params })) as Row[] }) as QueryResult<Row>,
    exec: async (sql: string) => void (await call({ op: 'exec', sql })),
  };
  // One connection: transactions must not interleave with other statements, as in wrapPglite.
  let queue: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    queued += 1;
    const result = queue.then(fn, fn).finally(() => (queued -= 1));
    queue = result.catch(() => undefined);
    return result;
  };
  return {
    kind: 'pglite',
    // Outside a transaction, statements need no queue of their own: the worker runs them in order.
    // They still go behind an open transaction, which must not see them.
    query: <Row>(sql: string, params?: unknown[]) => serial(() => raw.query<Row>(sql, params)),
    exec: (sql: string) => serial(() => raw.exec(sql)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      serial(async () => {
        await raw.exec('BEGIN');
        try {
          const result = await fn(raw);
          await raw.exec('COMMIT');
          return result;
        } catch (error) {
          await raw.exec('ROLLBACK');
          throw error;
        }
      }),
    listen: async (channel, onNotification) => {
      listeners.set(channel, onNotification);
      await call({ op: 'listen', channel });
      return async () => {
        listeners.delete(channel);
        await call({ op: 'unlisten', channel });
      };
    },
    close: async () => {
      await serial(() => call({ op: 'close' }));
      await worker.terminate();
    },
    poolStats: () => ({ total: 1, idle: queued ? 0 : 1, waiting: Math.max(0, queued - 1) }),
  };
}
