import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One request the receiver got, as it arrived on the wire. */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes (what the signature covers). */
  body: Buffer;
  /** What the receiver answered (null: it never answered). */
  answered: number | null;
}

/** How the receiver answers a request: an HTTP status, or `hang` (accept, read the body, never answer). */
export type ReceiverAnswer = number | 'hang';

/**
 * A real HTTP server on 127.0.0.1 that records every webhook request (headers and raw body) and answers as
 * scripted: `script` answers are used in order, then `otherwise` for every request after them.
 * `connections` counts TCP connections, so a test can prove nobody even connected.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private script: ReceiverAnswer[] = [];
  private otherwise: ReceiverAnswer = 200;
  private rule?: (headers: IncomingHttpHeaders) => ReceiverAnswer | undefined;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(path = '/hooks'): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = receiver.rule?.(req.headers) ?? (receiver.script.length > 0 ? receiver.script.shift()! : receiver.otherwise);
        receiver.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          answered: answer === 'hang' ? null : answer,
        });
        if (answer === 'hang') {
          receiver.hanging.add(res);
          return;
        }
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
      });
    });
    server.on('connection', (socket: Socket) => {
      receiver.connections++;
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    return receiver;
  }

  /** The next requests get these answers in order; after them, `then` (default: unchanged). */
  answer(script: ReceiverAnswer[], then?: ReceiverAnswer): void {
    this.script = [...script];
    if (then !== undefined) this.otherwise = then;
  }

  /** Requests for which `rule` returns an answer get it (before any script); the others are answered as usual. */
  answerBy(rule: (headers: IncomingHttpHeaders) => ReceiverAnswer | undefined): void {
    this.rule = rule;
  }

  /** Every request from now on gets `answer`. */
  always(answer: ReceiverAnswer): void {
    this.script = [];
    this.otherwise = answer;
  }

  /** The requests that carried event `eventId`. */
  forEvent(eventId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.headers['x-fgw-event-id'] === eventId);
  }

  /** The parsed bodies of the requests answered 2xx, first receipt of each event id only, in arrival order. */
  delivered(): Array<Record<string, unknown>> {
    const seen = new Set<string>();
    const out: Array<Record<string, unknown>> = [];
    for (const r of this.received) {
      if (r.answered === null || r.answered < 200 || r.answered >= 300) continue;
      const body = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
      if (seen.has(body.id as string)) continue;
      seen.add(body.id as string);
      out.push(body);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
