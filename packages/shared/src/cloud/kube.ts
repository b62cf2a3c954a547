import { Agent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { HttpError } from './clients.js';
import { isNotFound, toCallError } from './errors.js';

/** The object, or its kind (a CRD not installed yet), does not exist. */
const absent = (error: unknown) =>
  isNotFound(toCallError(error)) ||
  /Unrecognized API version and kind/.test(String((error as Error)?.message));

/**
 * One cluster's Kubernetes API. client-node resolves where an object lives (discovery, plural
 * names, scope); the bodies travel as the JSON we wrote, because client-node's typed serializer
 * drops what its models lack (a CRD schema's `default`, `x-kubernetes-*`), which would corrupt them.
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface KubeClient {
  read(ref: ObjectRef): Promise<any | undefined>;
  /** Server-side apply with a field manager (`force` takes fields from other managers). */
  apply(manifest: ObjectRef & Record<string, unknown>, fieldManager: string, force: boolean): Promise<any>;
  /** Creates the object; fails with 409 AlreadyExists when it is there (how a claim is taken). */
  create(manifest: ObjectRef & Record<string, unknown>): Promise<any>;
  delete(ref: ObjectRef): Promise<void>;
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<any[]>;
  /** Ends its connections, and any call still waiting on them. */
  close(): void;
}

export function kubeClient(endpoint: string, caCertBase64: string, token: string): KubeClient {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gke', server: `https://${endpoint}`, caData: caCertBase64 }],
    users: [{ name: 'spillway', token }],
    contexts: [{ name: 'gke', cluster: 'gke', user: 'spillway' }],
    currentContext: 'gke',
  });
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc) as k8s.KubernetesObjectApi & {
    specUriPath(spec: object, action: string): Promise<string>;
  };
  const ca = Buffer.from(caCertBase64, 'base64');
  const [host, port] = splitHost(endpoint);
  // One TLS session per connection, kept: a handshake per call costs a round trip and CPU on both sides.
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 16,
    ca,
    ...(isIP(host) ? {} : { servername: host }),
  });
  const pathOf = (ref: ObjectRef, action: string) => objects.specUriPath(structuredClone(ref), action);

  const send = (method: string, path: string, body?: string, contentType = 'application/json') =>
    new Promise<{ status: number; data: any }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host,
          port,
          path,
          method,
          agent,
          ca,
          ...(isIP(host) ? {} : { servername: host }),
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let data: any = {};
            try {
              data = text ? JSON.parse(text) : {};
            } catch {
              data = { message: text };
            }
            const status = res.statusCode ?? 0;
            if (status >= 400)
              reject(
                new HttpError(`${method} ${path.split('?')[0]}: ${status} ${data?.message ?? ''}`, {
                  status,
                  data,
                }),
              );
            else resolve({ status, data });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });

  return {
    async read(ref) {
      try {
        return (await send('GET', await pathOf(ref, 'read'))).data;
      } catch (error) {
        if (absent(error)) return undefined;
        throw error;
      }
    },
    async apply(manifest, fieldManager, force) {
      const query = `?fieldManager=${encodeURIComponent(fieldManager)}${force ? '&force=true' : ''}`;
      return (
        await send(
          'PATCH',
          (await pathOf(manifest, 'patch')) + query,
          JSON.stringify(manifest),
          'application/apply-patch+yaml',
        )
      ).data;
    },
    async create(manifest) {
      const list = { ...manifest, metadata: { ...manifest.metadata, name: '' } };
      return (await send('POST', await pathOf(list, 'list'), JSON.stringify(manifest))).data;
    },
    async delete(ref) {
      try {
        await send('DELETE', await pathOf(ref, 'delete'));
      } catch (error) {
        if (absent(error)) return;
        throw error;
      }
    },
    async list(apiVersion, kind, namespace, labelSelector) {
      const ref = { apiVersion, kind, metadata: { name: '', ...(namespace ? { namespace } : {}) } };
      const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      try {
        return (await send('GET', (await pathOf(ref, 'list')) + query)).data.items ?? [];
      } catch (error) {
        if (absent(error)) return [];
        throw error;
      }
    },
    close: () => agent.destroy(),
  };
}

function splitHost(endpoint: string): [string, number] {
  const i = endpoint.lastIndexOf(':');
  return i > 0 && !endpoint.includes(']')
    ? [endpoint.slice(0, i), Number(endpoint.slice(i + 1))]
    : [endpoint, 443];
}
