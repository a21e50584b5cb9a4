/**
 * The demo merchant's own web server: the shop's pages, the built element, the session-creating
 * endpoint that holds the secret key, the redirect to the hosted checkout page and the webhook endpoint.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/**
 * The demo merchant's own web server. It serves the shop page and the built element, and creates
 * checkout sessions server-side at `POST /api/checkout`: the secret key stays on this server and
 * the browser receives only the session's client secret.
 */
export function startMerchantServer(options: {
  port: number;
  apiUrl: string;
  secretKey: string;
  pageDir: string;
  distDir: string;
  /** The built Dev wallet (test/support/dev-wallet.ts, served at /dev-wallet/) and the chain it pays on. */
  devWallet?: { dir: string; rpcUrl: string };
  /** Handles the backend's webhooks at `POST /webhooks` (demo/webhook-handler.ts). */
  webhooks?: { handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
  /** What the framework pages load (demo/framework-bundles.ts), served at /vendor/. */
  vendorDir?: string;
}): Promise<{ url: string; server: Server }> {
  const items = { coffee: '4.50', book: '24.00', headphones: '129.99' };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/hosted') {
        // The hosted page: no element on the shop's side. The server creates the session with the
        // ways back (success_url, cancel_url) and sends the buyer to its checkout_url.
        const shop = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const upstream = await fetch(`${options.apiUrl}/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.secretKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            amount: items.book,
            currency: 'USD',
            order_id: `demo-${Date.now()}`,
            metadata: { item: 'book' },
            expires_in: 900,
            // Not proof of payment (anyone can open it): the shop fulfils from the webhook.
            success_url: `${shop}/?from=hosted`,
            cancel_url: `${shop}/`,
          }),
        });
        const session = (await upstream.json()) as { checkout_url?: string };
        if (!upstream.ok || !session.checkout_url) {
          res
            .writeHead(502, { 'content-type': 'text/plain' })
            .end(`could not create a session (${upstream.status})`);
          return;
        }
        res.writeHead(303, { location: session.checkout_url }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/api/checkout') {
        const body = JSON.parse((await readBody(req)) || '{}') as { item?: keyof typeof items };
        const item = body.item && body.item in items ? body.item : 'book';
        const upstream = await fetch(`${options.apiUrl}/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.secretKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            amount: items[item],
            currency: 'USD',
            order_id: `demo-${Date.now()}`,
            metadata: { item },
            expires_in: 900,
          }),
        });
        const session = (await upstream.json()) as { client_secret?: string; id?: string };
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        // Only the client secret and the API's base URL go to the browser.
        res.end(
          JSON.stringify({ client_secret: session.client_secret, api: options.apiUrl, id: session.id }),
        );
        return;
      }
      if (options.webhooks && req.method === 'POST' && url.pathname === '/webhooks') {
        await options.webhooks.handle(req, res);
        return;
      }
      if (options.devWallet && url.pathname === '/api/dev-chain') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ rpcUrl: options.devWallet.rpcUrl }));
        return;
      }
      const vendorFile =
        options.vendorDir && url.pathname.startsWith('/vendor/')
          ? join(
              options.vendorDir,
              normalize(url.pathname.slice('/vendor/'.length)).replace(/^(\.\.[/\\])+/, ''),
            )
          : null;
      const file =
        vendorFile ??
        (options.devWallet && url.pathname.startsWith('/dev-wallet/')
          ? join(
              options.devWallet.dir,
              normalize(url.pathname.slice('/dev-wallet/'.length)).replace(/^(\.\.[/\\])+/, ''),
            )
          : url.pathname === '/'
            ? join(options.pageDir, 'index.html')
            : // The other demo pages (modal.html, …) and what they share (demo.css): plain names in demo/.
              /^\/[\w-]+\.(?:html|css|js)$/.test(url.pathname)
              ? join(options.pageDir, url.pathname.slice(1))
              : url.pathname.startsWith('/dist/')
                ? join(
                    options.distDir,
                    normalize(url.pathname.slice('/dist/'.length)).replace(/^(\.\.[/\\])+/, ''),
                  )
                : null);
      if (!file) {
        res.writeHead(404).end('not found');
        return;
      }
      const content = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(content);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  // A taken port rejects (EADDRINUSE) instead of crashing the process: demo/start.ts says which port.
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, server });
    });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.length > 10_000) req.destroy();
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
