import { stringify } from 'yaml';
import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/**
 * The service's checked spec, kept in the config cluster so that readers that only know the
 * platform (the Backstage health route) can find what was applied. Holds no secret: the token is
 * only referenced (secretName, fromEnv or secretManager).
 */
export const SERVICE_RECORD_PREFIX = 'spillway-spec-';
export const SERVICE_RECORD_KEY = 'service.yaml';

export function serviceRecord(service: Service, labels: Record<string, string>): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${SERVICE_RECORD_PREFIX}${service.name}`, namespace: service.namespace, labels },
    data: { [SERVICE_RECORD_KEY]: stringify(service.document, { lineWidth: 0 }) },
  };
}
