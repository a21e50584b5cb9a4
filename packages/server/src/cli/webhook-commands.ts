import {
  createWebhookEndpointRequestSchema,
  WEBHOOK_SESSION_EVENT_TYPES,
  type WebhookEndpoint,
} from '@crypto-checkout/protocol';
import { WebhookEndpoints } from '../webhooks/webhook-endpoints.js';
import { WebhookStore } from '../webhooks/webhook-store.js';
import { webhookUrlPolicy } from '../webhooks/webhook-url-guard.js';
import type { Command, CommandContext } from './command.js';
import { table } from './table.js';

function service({ config, db, secrets }: CommandContext): WebhookEndpoints {
  return new WebhookEndpoints({
    store: new WebhookStore(db, secrets),
    secretOverlapSeconds: config.webhooks.secret_overlap,
    urlPolicy: webhookUrlPolicy(config.webhooks),
  });
}

const mode = (e: WebhookEndpoint) => (e.livemode ? 'live' : 'test');

function endpointId(args: string[]): string {
  const id = args[0];
  if (!id || !/^we_[A-Za-z0-9]+$/.test(id))
    throw new Error('give the endpoint id (we_…); see: endpoints list');
  return id;
}

function printSecret(print: (line: string) => void, secret: string): void {
  print('');
  print(`  ${secret}`);
  print('');
  print('This is the only time the secret is shown. Give it to the receiving server (verifyWebhook).');
}

/**
 * `endpoints create|list|rotate-secret|disable`: webhook endpoints, for operators (the same as the
 * `/v1/webhook_endpoints` API, without a key; the mode is chosen with `--mode`).
 */
export const webhookCommands: Command[] = [
  {
    group: 'endpoints',
    name: 'create',
    summary: 'add a webhook endpoint and print its signing secret, once',
    usage: [
      '--url <https://…> (required)',
      `--events <type,type> (default: all; ${WEBHOOK_SESSION_EVENT_TYPES.join(', ')})`,
      '--mode test|live (default test)',
      '--description <text>',
      '--json',
    ],
    async run(context, flags) {
      const { print } = context;
      if (typeof flags.url !== 'string') throw new Error('--url <https://…> is required');
      const livemode = flags.mode === 'live';
      if (flags.mode !== undefined && flags.mode !== 'test' && !livemode)
        throw new Error('--mode is test or live');
      const request = createWebhookEndpointRequestSchema.safeParse({
        url: flags.url,
        ...(typeof flags.events === 'string'
          ? { events: flags.events.split(',').map((type) => type.trim()) }
          : {}),
        ...(typeof flags.description === 'string' ? { description: flags.description } : {}),
      });
      if (!request.success) {
        const issue = request.error.issues[0]!;
        throw new Error(`--${String(issue.path[0] ?? 'url')}: ${issue.message}`);
      }
      const endpoint = await service(context).create(request.data, livemode);
      if (flags.json === true) {
        print(JSON.stringify(endpoint));
        return;
      }
      print(
        `created ${endpoint.id} (${mode(endpoint)} mode) → ${endpoint.url}, events: ${endpoint.events.join(', ')}`,
      );
      printSecret(print, endpoint.secret);
    },
  },
  {
    group: 'endpoints',
    name: 'list',
    summary: 'list webhook endpoints of both modes (secrets only as a prefix)',
    usage: ['--json (one JSON object per line)'],
    async run(context, flags) {
      const endpoints = await service(context).list(null);
      if (flags.json === true) {
        for (const e of endpoints) context.print(JSON.stringify(e));
        return;
      }
      if (!endpoints.length) {
        context.print(
          'no webhook endpoints; add one with: crypto-checkout-server endpoints create --url https://…',
        );
        return;
      }
      const rows = endpoints.map((e) => [
        e.id,
        mode(e),
        e.enabled ? 'enabled' : 'disabled',
        e.secret_prefix,
        e.events.join(','),
        e.url,
      ]);
      for (const line of table([['id', 'mode', 'state', 'secret', 'events', 'url'], ...rows]))
        context.print(line);
    },
  },
  {
    group: 'endpoints',
    name: 'rotate-secret',
    summary: 'give an endpoint a new secret; the old one keeps signing during the overlap',
    usage: ['<endpoint id>', '--overlap <seconds> (default: webhooks.secret_overlap, 86400)', '--json'],
    async run(context, flags, args) {
      const id = endpointId(args);
      let overlap: number | undefined;
      if (flags.overlap !== undefined) {
        overlap = Number(flags.overlap);
        if (!Number.isInteger(overlap) || overlap < 0 || overlap > 7 * 24 * 3600) {
          throw new Error('--overlap is a whole number of seconds, 0 to 604800');
        }
      }
      const endpoint = await service(context).rotateSecret(id, null, overlap);
      if (flags.json === true) {
        context.print(JSON.stringify(endpoint));
        return;
      }
      context.print(
        `rotated the secret of ${endpoint.id}; ` +
          (endpoint.previous_secret_expires_at
            ? `the old one signs too until ${endpoint.previous_secret_expires_at}`
            : 'the old one no longer signs'),
      );
      printSecret(context.print, endpoint.secret);
    },
  },
  {
    group: 'endpoints',
    name: 'disable',
    summary: 'stop sending to an endpoint; its pending deliveries are canceled',
    usage: ['<endpoint id>'],
    async run(context, _flags, args) {
      const endpoint = await service(context).update(endpointId(args), null, { enabled: false });
      context.print(`disabled ${endpoint.id} (${mode(endpoint)} mode) → ${endpoint.url}`);
    },
  },
];
