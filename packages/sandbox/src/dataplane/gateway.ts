/**
 * A simulated cross-region internal Gateway (gke-l7-cross-regional-internal-managed-mc): one
 * listener per region address, all routing alike, as the GCPBackendPolicy says (routing.ts), over
 * what it knows of its backends (backends.ts). Requests are forwarded as they came (method, path,
 * headers such as x-gateway-inference-objective, body) and the answers piped back.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Clock } from '../clock.js';
import { BackendPool, type BackendState, type BackendStatus } from './backends.js';
import { BodyTooLarge, closeServer, listen, readBody, sendJson } from './http.js';
import type { KvCacheMetric } from './model-server.js';
import { chooseBackend, type BalancingPolicy } from './routing.js';
import { afterRunning, RunningTime } from './running-time.js';

export type { BackendStatus } from './backends.js';

export interface GatewayOptions {
  /** One listener per Gateway address (`networking.gke.io/ephemeral-ipv4-address/REGION`). */
  regions: { region: string; port?: number }[];
  policy: BalancingPolicy;
  /** Re-read on each request and each check, so replicas can come and go. */
  backends: () => { region: string; url: string }[];
  healthCheckPath?: string;
  healthCheckIntervalSeconds?: number;
  /** Consecutive failed checks that take a backend out (default 2); one success brings it back. */
  unhealthyThreshold?: number;
  metricsIntervalSeconds?: number;
  /** The custom metric; by default whichever the backend serves, the new name first. */
  metricName?: KvCacheMetric;
  /** GCPBackendPolicy timeoutSec (default 30): a backend slower than this gets the client a 504. */
  timeoutSeconds?: number;
  /** IN_FLIGHT: how long a request may wait for an endpoint under its limit (default timeoutSeconds). */
  queueTimeoutSeconds?: number;
  /**
   * Whether answers name the region that served them in BACKEND_REGION_HEADER (default true).
   * false: as on GKE, whose load balancer names none; the model servers' counters then tell.
   */
  regionHeader?: boolean;
  /** Timeouts are simulated seconds on this clock; time the process was paused does not count. */
  clock: Clock;
}

export interface GatewayStats {
  /** By the region of the backend that answered. */
  byRegion: Record<string, { served: number; inFlight: number }>;
  /** Requests the gateway answered itself with 502/503/504. */
  rejected: number;
  /** Requests received, by the region address they came in on. */
  byListener: Record<string, number>;
}

export interface Gateway {
  addresses(): Record<string, string>;
  stats(): GatewayStats;
  resetStats(): void;
  backendStatus(): BackendStatus[];
  /** Applies a new policy or health check path without dropping listeners or connections. */
  reconfigure(change: { policy?: BalancingPolicy; healthCheckPath?: string; timeoutSeconds?: number }): void;
  close(): Promise<void>;
}

/** The response header naming the region that served a request (the sandbox's own; GKE sends none). */
export const BACKEND_REGION_HEADER = 'x-spillway-backend-region';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
  'host',
  'content-length',
]);
/** Loopback checks get at least this long in wall time, so a fast clock cannot make them flaky. */
const MIN_CHECK_TIMEOUT_MS = 1000;

/** Whether the client is still waiting: set when its response closes, finished or not. */
interface Client {
  gone: boolean;
}

function endToEndHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function rejectJson(res: ServerResponse, code: number, message: string) {
  const status = code === 504 ? 'DEADLINE_EXCEEDED' : code === 502 ? 'BAD_GATEWAY' : 'UNAVAILABLE';
  sendJson(res, code, { error: { code, status, message } }, { via: '1.1 google' });
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { clock } = opts;
  // Both can change while the gateway serves (a policy applied later), as a real load balancer reconfigures.
  let policy = opts.policy;
  let timeoutMs = clock.wallMs(opts.timeoutSeconds ?? 30);
  const queueMs = clock.wallMs(opts.queueTimeoutSeconds ?? opts.timeoutSeconds ?? 30);
  const regionHeader = opts.regionHeader !== false;
  const agent = new Agent({ keepAlive: true });
  const waiters: (() => void)[] = [];
  const regionStats = new Map<string, { served: number; inFlight: number }>();
  const byListener: Record<string, number> = {};
  let rejected = 0;
  let turn = 0;
  let closed = false;

  const wakeOne = () => waiters.shift()?.();
  const wakeAll = () => waiters.splice(0).forEach((wake) => wake());
  const pool = new BackendPool({
    backends: opts.backends,
    healthCheckPath: opts.healthCheckPath ?? '/health',
    healthCheckIntervalMs: clock.wallMs(opts.healthCheckIntervalSeconds ?? 5),
    unhealthyThreshold: opts.unhealthyThreshold ?? 2,
    metricsIntervalMs: clock.wallMs(opts.metricsIntervalSeconds ?? 2),
    metricName: opts.metricName,
    checkTimeoutMs: Math.max(MIN_CHECK_TIMEOUT_MS, clock.wallMs(5)),
    onRoom: wakeAll,
  });

  const regionStat = (region: string) => {
    let s = regionStats.get(region);
    if (!s) regionStats.set(region, (s = { served: 0, inFlight: 0 }));
    return s;
  };
  for (const { region } of opts.regions) {
    regionStat(region);
    byListener[region] = 0;
  }

  function acquire(s: BackendState) {
    pool.acquire(s);
    regionStat(s.region).inFlight++;
  }
  function release(s: BackendState) {
    pool.release(s);
    regionStat(s.region).inFlight--;
    wakeOne();
  }

  /** Waits until something may have freed an endpoint; false when the queue timeout passed or the client left. */
  function waitForRoom(waiting: RunningTime, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        cancelTimer();
        res.off('close', gone);
        const i = waiters.indexOf(wake);
        if (i >= 0) waiters.splice(i, 1);
        resolve(ok);
      };
      const wake = () => done(true);
      const gone = () => done(false);
      const cancelTimer = afterRunning(Math.max(0, queueMs - waiting.elapsedMs()), () => done(false));
      res.on('close', gone);
      waiters.push(wake);
    });
  }

  /** Picks a backend and counts the request against it; undefined once the client has its answer. */
  async function pick(
    tried: Set<string>,
    client: Client,
    res: ServerResponse,
  ): Promise<BackendState | undefined> {
    const waiting = new RunningTime();
    try {
      for (;;) {
        if (closed || client.gone) return undefined;
        const candidates = pool.current().filter((s) => !tried.has(s.url));
        const choice = chooseBackend(
          candidates.map((s) => pool.view(s)),
          policy,
          turn++,
        );
        const chosen = choice && candidates.find((s) => s.url === choice.backend.url);
        if (chosen) {
          acquire(chosen);
          return chosen;
        }
        if (!candidates.some((s) => s.healthy)) {
          rejected++;
          rejectJson(res, 503, 'no healthy upstream');
          return undefined;
        }
        if (!(await waitForRoom(waiting, res))) {
          if (!client.gone) {
            rejected++;
            rejectJson(res, 503, `every endpoint is at maxInFlightRequestsPerEndpoint`);
          }
          return undefined;
        }
      }
    } finally {
      waiting.stop();
    }
  }

  /** Sends the request to `s` and pipes the answer back; 'retry' when it never reached the backend. */
  function forward(
    s: BackendState,
    req: IncomingMessage,
    body: Buffer,
    client: Client,
    res: ServerResponse,
  ): Promise<'done' | 'retry'> {
    return new Promise((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (outcome: 'done' | 'retry') => {
        if (settled) return;
        settled = true;
        cancelTimer();
        res.off('close', clientGone);
        release(s);
        resolve(outcome);
      };
      const headers = {
        ...endToEndHeaders(req.headers),
        'content-length': String(body.length),
        'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress ?? '127.0.0.1']
          .filter(Boolean)
          .join(', '),
      };
      const upstream = httpRequest(s.url + (req.url ?? '/'), { method: req.method, headers, agent });
      const cancelTimer = afterRunning(timeoutMs, () => {
        timedOut = true;
        upstream.destroy(new Error('upstream timeout'));
      });
      const clientGone = () => upstream.destroy(new Error('client went away'));
      res.on('close', clientGone);

      upstream.on('response', (up) => {
        res.writeHead(up.statusCode ?? 502, {
          ...endToEndHeaders(up.headers),
          via: '1.1 google',
          ...(regionHeader ? { [BACKEND_REGION_HEADER]: s.region } : {}),
        });
        up.pipe(res);
        up.on('error', () => res.destroy());
        up.on('close', () => {
          if (up.complete) regionStat(s.region).served++;
          else res.destroy();
          finish('done');
        });
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (res.headersSent || client.gone) {
          res.destroy();
          return finish('done');
        }
        if (timedOut) {
          rejected++;
          rejectJson(res, 504, 'upstream request timeout');
          return finish('done');
        }
        if (err.code === 'ECONNREFUSED') pool.takeOut(s);
        finish('retry');
      });
      upstream.end(body);
    });
  }

  async function handle(listenerRegion: string, req: IncomingMessage, res: ServerResponse) {
    byListener[listenerRegion] = (byListener[listenerRegion] ?? 0) + 1;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge)
        sendJson(res, 413, { error: { code: 413, status: 'INVALID_ARGUMENT', message: err.message } });
      return;
    }
    const client: Client = { gone: false };
    res.once('close', () => (client.gone = true));
    const tried = new Set<string>();
    for (;;) {
      const backend = await pick(tried, client, res);
      if (!backend) return;
      if ((await forward(backend, req, body, client, res)) === 'done') return;
      tried.add(backend.url);
    }
  }

  const servers: { region: string; server: Server; port: number }[] = [];
  try {
    for (const { region, port } of opts.regions) {
      const server = createServer((req, res) => {
        handle(region, req, res).catch(() => {
          rejected++;
          rejectJson(res, 502, 'gateway error');
        });
      });
      servers.push({ region, server, port: await listen(server, port) });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s.server)));
    pool.close();
    agent.destroy();
    throw err;
  }

  return {
    addresses: () => Object.fromEntries(servers.map((s) => [s.region, `http://127.0.0.1:${s.port}`])),
    stats: () => {
      pool.current().forEach((s) => regionStat(s.region));
      return {
        byRegion: Object.fromEntries([...regionStats].map(([region, s]) => [region, { ...s }])),
        rejected,
        byListener: { ...byListener },
      };
    },
    resetStats: () => {
      for (const s of regionStats.values()) s.served = 0;
      for (const region of Object.keys(byListener)) byListener[region] = 0;
      rejected = 0;
    },
    backendStatus: () => pool.status(),
    reconfigure: (change) => {
      if (change.policy) policy = change.policy;
      if (change.healthCheckPath) pool.setHealthCheckPath(change.healthCheckPath);
      if (change.timeoutSeconds) timeoutMs = clock.wallMs(change.timeoutSeconds);
      wakeAll();
    },
    close: async () => {
      closed = true;
      pool.close();
      wakeAll();
      await Promise.all(servers.map((s) => closeServer(s.server)));
      agent.destroy();
    },
  };
}
