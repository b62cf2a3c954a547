/**
 * The entity card's dev harness: the sandbox with the example fleet applied, a Backstage backend
 * with Spillway's backend plugin reading it, and a page with the card served on 127.0.0.1.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundlePage } from './bundle.js';
import { foodReviewEntity } from './entity.js';
import { startFleet, type Fleet } from './fleet.js';
import { startPluginBackend } from './plugin-backend.js';

/** The token Backstage's mock auth (backend-test-utils) takes for its mock user. */
const MOCK_USER_TOKEN = 'mock-user-token';

export interface HarnessOptions {
  /** Port of the page on 127.0.0.1 (default: any free port). */
  port?: number;
  /** How often the card reads by itself (default 30 s, as in an app). */
  refreshIntervalMs?: number;
  log?: (line: string) => void;
}

export interface Harness {
  /** The page with the card. */
  url: string;
  fleet: Fleet;
  /** Drives load until the preferred region is full and another takes its overflow. */
  spill(): Promise<void>;
  /** Stops the load. */
  calm(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const log = options.log ?? (() => undefined);
  const [fleet, page] = await Promise.all([startFleet({ log }), bundlePage()]);
  const closers: Array<() => Promise<void>> = [() => fleet.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const backend = await startPluginBackend(fleet);
    closers.push(backend.close);
    const html = pageHtml(
      {
        token: MOCK_USER_TOKEN,
        entity: foodReviewEntity,
        refreshIntervalMs: options.refreshIntervalMs ?? 30_000,
      },
      Boolean(page.css),
    );

    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/') return reply(res, 200, 'text/html; charset=utf-8', html);
      if (req.method === 'GET' && path === '/app.js') return reply(res, 200, 'text/javascript', page.js);
      if (req.method === 'GET' && path === '/app.css' && page.css)
        return reply(res, 200, 'text/css', page.css);
      if (path === '/favicon.ico') return reply(res, 204, 'image/x-icon', '');
      if (path?.startsWith('/api/')) return proxy(req, res, backend.baseUrl);
      if (req.method === 'POST' && path === '/dev/spill') {
        return void fleet.spill().then(
          () => reply(res, 200, 'text/plain', 'spilling\n'),
          (error: Error) => reply(res, 500, 'text/plain', `${error.message}\n`),
        );
      }
      if (req.method === 'POST' && path === '/dev/calm') {
        return void fleet.calm().then(() => reply(res, 200, 'text/plain', 'calm\n'));
      }
      reply(res, 404, 'text/plain', 'not found\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      fleet,
      spill: async () => void (await fleet.spill()),
      calm: () => fleet.calm(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string | Uint8Array) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function proxy(req: IncomingMessage, res: ServerResponse, baseUrl: string) {
  const upstream = request(
    new URL(req.url ?? '/', baseUrl),
    { method: req.method, headers: { ...req.headers, host: new URL(baseUrl).host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => reply(res, 502, 'text/plain', `backend unreachable: ${error.message}\n`));
  req.pipe(upstream);
}

/** The page; `withCss`: Backstage UI's stylesheet (its tokens and components), bundled as /app.css. */
function pageHtml(settings: object, withCss: boolean): string {
  // `<` is escaped so the JSON cannot close the script element.
  const json = JSON.stringify(settings).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spillway entity card (dev harness)</title>
${withCss ? '<link rel="stylesheet" href="/app.css">\n' : ''}</head>
<body style="margin:0">
<div id="root"></div>
<script>window.__SPILLWAY_DEV__ = ${json};</script>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
}
