/**
 * The connection of an open event stream, taken out of Node's HTTP server once the stream starts:
 * thousands of streams stay open for minutes, and each would otherwise keep Node's request,
 * response, HTTP parser and server-state closures, and Fastify's `Request`, `Reply` and pino request
 * logger (Fastify's own `finish` listener holds them until the response ends) — ≈ 8 KB of JS heap a
 * stream against ≈ 1.5 KB for the socket alone (docs/performance.md, "Live status streams").
 *
 * The steps are the ones Node's HTTP server takes itself when a request upgrades its connection
 * (`_http_server.js`, `onParserExecuteCommon`): its listeners come off the socket and the parser goes
 * back to the pool (`freeParser` of `_http_common`, the module Node exports for this). The head is
 * written by hand and the body is delimited by the end of the connection (`connection: close`),
 * which every HTTP/1.1 client, `EventSource` and proxy reads. Where that is not possible (an
 * injected request has no real socket; a Node whose internals differ) the stream is written through
 * the response as before: same bytes, more memory.
 * @module
 */
import { createRequire } from 'node:module';
import {
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Socket } from 'node:net';

/** An open event stream's output: what the route writes to, whichever way it is connected. */
export interface EventStreamOutput {
  /** Writes a chunk of the body (an event, a heartbeat comment). */
  write(chunk: string | Buffer): void;
  /** Ends the body; the connection goes too when the stream was detached. */
  end(): void;
  /** The connection was taken out of the HTTP server (the route then logs the request itself). */
  readonly detached: boolean;
}

/** The parts of Node's HTTP parser object this module touches. */
interface HttpParser {
  _consumed?: boolean;
  remove?: () => void;
}

const requireNode = createRequire(import.meta.url);
/** Node's own parser release (what an `Upgrade` uses); undefined if a Node version drops it. */
const freeParser = (() => {
  try {
    const common = requireNode('_http_common') as {
      freeParser?: (parser: HttpParser, req: IncomingMessage | null, socket: Socket | null) => void;
    };
    return typeof common.freeParser === 'function' ? common.freeParser : undefined;
  } catch {
    return undefined;
  }
})();

/** The names of the socket listeners Node's HTTP server and response add (see `connectionListenerInternal`). */
const HTTP_SERVER_LISTENER = /^(bound socketOn|socketOn|onSocket|onServerResponseClose$)/;
const HTTP_SERVER_EVENTS = ['data', 'end', 'close', 'drain', 'error', 'timeout', 'resume', 'pause'];
/** The methods Node's HTTP server overrides on each socket it serves (it unconsumes the parser in them). */
const HTTP_SOCKET_OVERRIDES = ['on', 'addListener', 'prependListener', 'setEncoding'] as const;

/**
 * Starts an event stream: writes the `200` head with `headers` (all of them: pass Fastify's
 * `reply.getHeaders()` in) and the first chunk, then takes the connection out of the HTTP server if
 * it can. `onClose` is called when the client goes away or the stream has ended.
 * @example const output = startEventStream(request.raw, reply.raw, { 'content-type': 'text/event-stream' }, 'retry: 3000\n\n', close);
 */
export function startEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string | number | string[] | undefined>,
  first: string,
  onClose: () => void,
): EventStreamOutput {
  const socket = req.socket as (Socket & { parser?: HttpParser | null }) | null;
  const parser = socket?.parser;
  if (
    !(socket instanceof Socket) ||
    !parser ||
    !freeParser ||
    typeof parser.remove !== 'function' ||
    req.httpVersionMajor !== 1 ||
    res.headersSent ||
    socket.destroyed
  ) {
    const defined = Object.entries(headers).filter(
      (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
    );
    res.writeHead(200, { ...Object.fromEntries(defined), connection: 'keep-alive' });
    res.write(first);
    req.on('close', onClose);
    return new ResponseOutput(res);
  }

  let head = 'HTTP/1.1 200 OK\r\n';
  for (const [name, value] of Object.entries({ ...headers, connection: 'close' })) {
    if (value === undefined) continue;
    // Some values come from the request (an echoed request id, a CORS origin): the same checks as
    // `setHeader`, so that nothing can split the head.
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [String(value)]) {
      validateHeaderValue(name, one);
      head += `${name}: ${one}\r\n`;
    }
  }

  for (const event of HTTP_SERVER_EVENTS)
    for (const listener of socket.listeners(event) as ((...args: unknown[]) => void)[])
      if (HTTP_SERVER_LISTENER.test(listener.name)) socket.removeListener(event, listener);
  // Put back, not deleted: a deleted property would turn the socket into a slow, larger dictionary.
  for (const method of HTTP_SOCKET_OVERRIDES)
    if (Object.hasOwn(socket, method))
      (socket as unknown as Record<string, unknown>)[method] = Socket.prototype[method];
  res.detachSocket(socket);
  freeParser(parser, req, socket);
  // Node's server-wide timeouts no longer apply; a stream's liveness is its heartbeat.
  socket.setTimeout(0);
  socket.write(`${head}\r\n${first}`);
  // An event-stream client sends nothing after its request: whatever comes is read and dropped, and
  // its end (or an error) closes the stream. Shared listeners: thousands of streams are open.
  socket.on('data', ignore);
  socket.on('end', destroySoon);
  socket.on('error', destroy);
  socket.on('close', onClose);
  return new SocketOutput(socket);
}

function ignore(): void {}
function destroySoon(this: Socket): void {
  this.destroySoon();
}
function destroy(this: Socket): void {
  this.destroy();
}

/** A stream on a detached connection: its end is the connection's end. */
class SocketOutput implements EventStreamOutput {
  readonly detached = true;
  private ended = false;
  constructor(private readonly socket: Socket) {}
  write(chunk: string | Buffer): void {
    if (!this.ended) this.socket.write(chunk);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroySoon();
  }
}

/** A stream written through Node's response (chunked, the connection kept alive after it). */
class ResponseOutput implements EventStreamOutput {
  readonly detached = false;
  constructor(private readonly res: ServerResponse) {}
  write(chunk: string | Buffer): void {
    this.res.write(chunk);
  }
  end(): void {
    this.res.end();
  }
}
