// The v1 client alone: the package's index also loads v1beta1 and every API version's compiled
// protos (3 MB), which the action bundles and the CLI's start would carry for nothing.
import { ClusterManagerClient } from '@google-cloud/container/build/src/v1/index.js';
// Imported, not read at run time: the action bundles run where no node_modules exists.
import clientConfig from '@google-cloud/container/build/src/v1/cluster_manager_client_config.json' with { type: 'json' };
import * as grpc from '@grpc/grpc-js';
import { kubeClient, type KubeClient } from './kube.js';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';

/**
 * The only code that talks to Google Cloud and Kubernetes. Real Google Cloud with Application
 * Default Credentials by default; each API can be pointed at an emulator with
 * `<API>_EMULATOR_HOST=host:port` (CONTRACT.md §3), reached in plain text without credentials.
 */
export type RestApi =
  'gkehub' | 'compute' | 'cloudresourcemanager' | 'serviceusage' | 'monitoring' | 'secretmanager';

const REAL_HOSTS: Record<RestApi, string> = {
  gkehub: 'https://gkehub.googleapis.com',
  compute: 'https://compute.googleapis.com',
  cloudresourcemanager: 'https://cloudresourcemanager.googleapis.com',
  serviceusage: 'https://serviceusage.googleapis.com',
  monitoring: 'https://monitoring.googleapis.com',
  secretmanager: 'https://secretmanager.googleapis.com',
};

/** An HTTP failure in gaxios' shape, so one error classifier serves every client. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly response: { status: number; data: unknown },
  ) {
    super(message);
  }
}

export interface RestClient {
  request<T = any>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ClusterEndpoint {
  endpoint: string;
  caCertBase64: string;
}

export interface Cloud {
  /** True when every API this run needs is an emulator (the sandbox). */
  emulated: boolean;
  container(): ClusterManagerClient;
  rest(api: RestApi): RestClient;
  /** A client for one cluster's Kubernetes API, at the endpoint and CA the GKE API returned. */
  kube(cluster: ClusterEndpoint): Promise<KubeClient>;
  /** Ends the run's connections, including calls still waiting for an answer. */
  close(): Promise<void>;
}

/**
 * How long one REST call may wait for its answer. The engine retries a call that timed out, until
 * the resource's deadline; GKE's gRPC calls have google-gax's per-method timeouts (20-45 s).
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The token every emulated Kubernetes API server accepts (the sandbox's). */
export const EMULATOR_KUBE_TOKEN = 'sandbox-token';
const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** ClusterManager's RPCs as the client config names them (GetCluster, …). */
const CLUSTER_MANAGER_RPCS = Object.keys(
  clientConfig.interfaces['google.container.v1.ClusterManager'].methods,
);

/**
 * google-gax retries UNAVAILABLE and DEADLINE_EXCEEDED for up to 600 s beneath the engine, unseen.
 * The engine retries every call itself (counted and shown), so the library's own retries are off:
 * every ClusterManager method gets an empty list of retry codes.
 */
function noLibraryRetries() {
  return {
    interfaces: {
      'google.container.v1.ClusterManager': {
        retry_codes: { engine_retries: [] },
        methods: Object.fromEntries(
          CLUSTER_MANAGER_RPCS.map((m) => [m, { retry_codes_name: 'engine_retries' }]),
        ),
      },
    },
  };
}

/**
 * Each generated method starts with `this.initialize().catch((err) => { throw err; })`: when the
 * stub cannot be created (no credentials), every call leaves an unhandled rejection beside its own
 * error, which stops a long-lived process. Here each RPC waits for the stub first and fails with
 * its error; the generated method runs only once the stub is there. close() skips a stub that
 * never came.
 */
function stubFirst(client: ClusterManagerClient): ClusterManagerClient {
  const rpcs = new Set(CLUSTER_MANAGER_RPCS.map((m) => m[0]!.toLowerCase() + m.slice(1)));
  let stub: Promise<unknown> | undefined;
  const ready = () => (stub ??= client.initialize().catch(explainAuth));
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'close')
        return () =>
          stub
            ? stub.then(
                () => target.close(),
                () => undefined,
              )
            : target.close();
      if (typeof property !== 'string' || !rpcs.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => ready().then(() => value.apply(target, args));
    },
  });
}

export function cloudFromEnv(env: NodeJS.ProcessEnv = process.env): Cloud {
  const emulator = (name: string) => env[`${name.toUpperCase()}_EMULATOR_HOST`];
  const emulated = !!emulator('container');
  let auth: GoogleAuth | undefined;
  const googleAuth = () => (auth ??= new GoogleAuth({ scopes: SCOPES }));
  // Aborted by close(): a call still waiting (an API that hangs) must not keep the process alive.
  const closing = new AbortController();
  let container: ClusterManagerClient | undefined;
  const restClients = new Map<RestApi, RestClient>();
  const kubeClients = new Map<string, { client: KubeClient; expiresAt: number }>();

  return {
    emulated,
    container() {
      if (container) return container;
      const host = emulator('container');
      if (host) {
        const [hostname, port] = splitHost(host);
        container = stubFirst(
          new ClusterManagerClient({
            apiEndpoint: hostname,
            port,
            sslCreds: grpc.credentials.createInsecure(),
            // An inert auth client: no Application Default Credentials lookup (nor GCE metadata probe) for an emulator.
            auth: new GoogleAuth({ authClient: new OAuth2Client() }),
            clientConfig: noLibraryRetries(),
          }),
        );
      } else {
        container = stubFirst(new ClusterManagerClient({ clientConfig: noLibraryRetries() }));
      }
      return container;
    },
    rest(api) {
      let client = restClients.get(api);
      if (client) return client;
      const host = emulator(api);
      client = host
        ? plainHttpClient(`http://${host}`, closing.signal)
        : authorizedClient(REAL_HOSTS[api], googleAuth, closing.signal);
      restClients.set(api, client);
      return client;
    },
    async kube(cluster) {
      const key = `${cluster.endpoint}|${cluster.caCertBase64}`;
      const cached = kubeClients.get(key);
      if (cached && cached.expiresAt > Date.now()) return cached.client;
      const token = emulated ? EMULATOR_KUBE_TOKEN : await googleAuth().getAccessToken().catch(explainAuth);
      if (!token)
        throw new Error(
          'no Google access token for the Kubernetes API (check Application Default Credentials)',
        );
      const client = kubeClient(cluster.endpoint, cluster.caCertBase64, token);
      // Google access tokens last an hour; take a fresh one well before.
      kubeClients.set(key, { client, expiresAt: Date.now() + 30 * 60_000 });
      return client;
    },
    async close() {
      closing.abort();
      for (const { client } of kubeClients.values()) client.close();
      await container?.close();
    },
  };
}

/** google-auth-library's "Could not load the default credentials", with what to do about it. */
function explainAuth(error: unknown): never {
  const message = (error as Error)?.message ?? String(error);
  if (/default credentials/i.test(message))
    throw Object.assign(
      new Error(
        `no Google Cloud credentials: ${message.split('. ')[0]} — run \`gcloud auth application-default login\`, or google-github-actions/auth before this step in a workflow`,
      ),
      { cause: error },
    );
  throw error;
}

function splitHost(host: string): [string, number] {
  const i = host.lastIndexOf(':');
  return [host.slice(0, i), Number(host.slice(i + 1))];
}

/** Emulators are reached in plain text without credentials, as Google's own emulators are. */
function plainHttpClient(base: string, closing: AbortSignal): RestClient {
  return {
    async request(method, path, body) {
      const signal = AbortSignal.any([closing, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
      try {
        const response = await fetch(base + path, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
        });
        const text = await response.text();
        const data = text ? safeJson(text) : {};
        if (!response.ok)
          throw new HttpError(`${method} ${path}: ${response.status}`, { status: response.status, data });
        return data as any;
      } catch (error) {
        throw signal.aborted ? unanswered(method, path, closing) : error;
      }
    },
  };
}

/** Google APIs as plain REST through google-auth-library, as Google's own GitHub Actions call them. */
function authorizedClient(base: string, auth: () => GoogleAuth, closing: AbortSignal): RestClient {
  return {
    async request(method, path, body) {
      try {
        const response = await auth().request({
          url: base + path,
          method: method as 'GET',
          data: body,
          retry: false,
          timeout: REQUEST_TIMEOUT_MS,
          signal: closing,
        });
        return response.data as any;
      } catch (error) {
        if ((error as { code?: unknown })?.code === 'TimeoutError' || closing.aborted)
          throw unanswered(method, path, closing);
        return explainAuth(error);
      }
    },
  };
}

/** A call that got no answer: timed out (a network error the engine retries), or cut off by close(). */
function unanswered(method: string, path: string, closing: AbortSignal): Error {
  const call = `${method} ${path.split('?')[0]}`;
  return closing.aborted
    ? new Error(`${call}: abandoned, the run is over`)
    : Object.assign(new Error(`${call}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`), {
        code: 'ETIMEDOUT',
      });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
