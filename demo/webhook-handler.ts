import type { IncomingMessage, ServerResponse } from 'node:http';
import { FULFILLED_STATUSES, type WebhookPayload } from '@crypto-checkout/protocol';
import { verifyWebhook, WebhookVerificationError } from '@crypto-checkout/webhooks';

/** The most a webhook body can be here; the backend's are a few KB. */
const MAX_BODY_BYTES = 256 * 1024;

/** What the demo shop did with an order, by session id. */
export interface OrderRecord {
  order_id: string | null;
  fulfilled_at: Date | null;
}

/**
 * The demo merchant's webhook endpoint, a reference for your own: it reads the **raw** body,
 * verifies it with `verifyWebhook`, answers 2xx fast, and fulfils each order exactly once however
 * often (and in whatever order) events arrive:
 *
 * 1. a `webhook-id` already handled is acknowledged again and nothing else happens — retries and
 *    redeliveries carry the same id;
 * 2. the order is fulfilled when its session is `paid` or `overpaid` and it was not fulfilled before
 *    — keyed by the session id, so a second event that says "paid" (a redelivery under a new id,
 *    or `overpaid` after `paid`) cannot ship twice.
 *
 * In-memory maps stand in for your database: there, make both checks unique constraints and do the
 * insert and the fulfilment in one transaction.
 */
export function createWebhookHandler(options: { log?: (line: string) => void } = {}) {
  const log = options.log ?? ((line: string) => console.log(line));
  let secrets: string[] = [];
  const handledIds = new Set<string>();
  const orders = new Map<string, OrderRecord>();

  function apply(event: WebhookPayload): string {
    if (event.type === 'webhook.test') return 'test event received';
    if (event.type === 'ledger.entry_created')
      return `ledger ${event.data.kind} ${event.data.amount} ${event.data.asset}`;
    if (event.type.startsWith('sweep.')) {
      // A sweep moves the merchant's own money between its addresses; `needs_review` means some left
      // for elsewhere: tell a person.
      const sweep = (event as Extract<WebhookPayload, { type: `sweep.${string}` }>).data;
      return `sweep ${sweep.tx_hash} is ${sweep.status} (${sweep.deposits.length} deposit(s))${sweep.review_reason ? `: ${sweep.review_reason}` : ''}`;
    }
    if (event.type.startsWith('payout.')) {
      const payout = (event as Extract<WebhookPayload, { type: `payout.${string}` }>).data;
      return `payout ${payout.id} is ${payout.status}`;
    }
    const session = (event as Extract<WebhookPayload, { type: `session.${string}` }>).data;
    const order = orders.get(session.id) ?? { order_id: session.order_id, fulfilled_at: null };
    orders.set(session.id, order);
    // Events can arrive out of order (a retry of an older one after a newer one): fulfilment depends
    // only on this event's status and on whether the order was fulfilled already.
    if (FULFILLED_STATUSES.includes(session.status)) {
      if (order.fulfilled_at) return `already fulfilled at ${order.fulfilled_at.toISOString()}`;
      order.fulfilled_at = new Date();
      const extra =
        session.status === 'overpaid' ? ` (refund ${session.amount_overpaid} ${session.payment?.token})` : '';
      return `order fulfilled${extra}`;
    }
    if (session.review_reasons.length) return `needs review: ${session.review_reasons.join(', ')}`;
    return 'noted';
  }

  return {
    orders,
    /** Sets the endpoint's signing secret(s); during a rotation give the new and the old one. */
    useSecrets(next: string[]) {
      secrets = next;
    },
    /** Handles `POST /webhooks`. */
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const raw = await readRaw(req);
      if (raw === null) {
        res.writeHead(413).end('too large');
        return;
      }
      let event: WebhookPayload;
      try {
        event = await verifyWebhook<WebhookPayload>(raw, req.headers, secrets);
      } catch (error) {
        if (!(error instanceof WebhookVerificationError) && !(error instanceof TypeError)) throw error;
        log(`  ✗ webhook refused: ${(error as Error).message}`);
        res.writeHead(400, { 'content-type': 'text/plain' }).end((error as Error).message);
        return;
      }
      const id = String(req.headers['webhook-id']);
      if (handledIds.has(id)) {
        res.writeHead(200).end('duplicate');
        return;
      }
      const outcome = apply(event);
      handledIds.add(id);
      const about =
        event.type === 'webhook.test'
          ? event.data.endpoint_id
          : 'order_id' in event.data
            ? `${event.data.order_id ?? '—'} (${event.data.id})`
            : 'tx_hash' in event.data && 'deposits' in event.data
              ? event.data.tx_hash
              : event.data.id;
      log(`  ✓ webhook ${event.type} for ${about}: ${outcome}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    },
  };
}

/** The request body as it arrived, byte for byte, or `null` when it is too large. */
function readRaw(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
