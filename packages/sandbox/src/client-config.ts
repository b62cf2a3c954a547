import { stringify } from 'yaml';

/**
 * Configuration for the tools people already use, pointed at the sandbox: a gcloud configuration
 * directory (CLOUDSDK_CONFIG) and a kubeconfig with one context per cluster, named as
 * `gcloud container clusters get-credentials` names them.
 */
export interface ClusterAccess {
  project: string;
  location: string;
  name: string;
  endpoint: string;
  caCertBase64: string;
}

/** The token every sandbox API server accepts; real GKE takes a Google access token here. */
export const SANDBOX_TOKEN = 'sandbox-token';

export function kubeconfigYaml(clusters: ClusterAccess[], currentContext?: string): string {
  const context = (c: ClusterAccess) => `gke_${c.project}_${c.location}_${c.name}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': currentContext ?? (clusters[0] ? context(clusters[0]) : ''),
    clusters: clusters.map((c) => ({
      name: context(c),
      cluster: { server: `https://${c.endpoint}`, 'certificate-authority-data': c.caCertBase64 },
    })),
    contexts: clusters.map((c) => ({
      name: context(c),
      context: { cluster: context(c), user: 'spillway-sandbox' },
    })),
    users: [{ name: 'spillway-sandbox', user: { token: SANDBOX_TOKEN } }],
  });
}

/** `configurations/config_default` of a CLOUDSDK_CONFIG directory: no credentials, every API overridden. */
export function gcloudConfiguration(project: string, endpoints: Record<string, string>): string {
  const overrides = Object.entries(endpoints)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, url]) => `${api} = ${url}`);
  return [
    '[core]',
    `project = ${project}`,
    'disable_usage_reporting = True',
    '',
    '[auth]',
    'disable_credentials = True',
    '',
    '[api_endpoint_overrides]',
    ...overrides,
    '',
  ].join('\n');
}
