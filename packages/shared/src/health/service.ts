import { clusterClient } from '../engine/kube-handler.js';
import { engineContext } from '../engine/types.js';
import { SERVICE_RECORD_KEY, SERVICE_RECORD_PREFIX } from '../render/service-record.js';
import { formatIssue } from '../spec/errors.js';
import { checkSpec, type SpecText } from '../spec/load.js';
import type { Platform } from '../spec/model.js';
import type { HealthReport } from './model.js';
import { readHealth, type HealthOptions } from './read.js';

export interface ServiceRef {
  namespace: string;
  name: string;
}

/** The service has no record in the platform's config cluster: it was never applied there. */
export class ServiceNotFoundError extends Error {}
/** The platform's spec text, or the service's record, does not pass the checks. */
export class ServiceRecordInvalidError extends Error {}

/**
 * Checks a platform's spec text on its own (no services) and returns the platform; throws with
 * every issue, as `FILE:LINE:COL PATH: what — what to do`, when it is not a valid platform.
 */
export function checkPlatformText(text: SpecText, expected?: { name: string; projectId?: string }): Platform {
  const result = checkSpec([text]);
  if (!result.ok) {
    throw new ServiceRecordInvalidError(result.issues.map(formatIssue).join('\n'));
  }
  const platform = result.spec.platforms.find((p) => !expected || p.name === expected.name);
  if (!platform || result.spec.services.length > 0 || result.spec.platforms.length !== 1) {
    throw new ServiceRecordInvalidError(
      `${text.file}: expected exactly one InferencePlatform${expected ? ` named ${expected.name}` : ''} and no services`,
    );
  }
  if (expected?.projectId && platform.projectId !== expected.projectId) {
    throw new ServiceRecordInvalidError(
      `${text.file}: platform ${platform.name} is in project ${platform.projectId}, not ${expected.projectId} — make the two agree`,
    );
  }
  return platform;
}

/**
 * The health of one applied service of a platform. Only the platform comes from the caller: the
 * service's spec is the record apply keeps in the platform's config cluster, so a reader that
 * knows the platform can never be pointed at another project or cluster by a service name.
 */
export async function readServiceHealth(
  platformText: SpecText,
  ref: ServiceRef,
  options: Omit<HealthOptions, 'drift'>,
): Promise<HealthReport> {
  const platform = checkPlatformText(platformText);
  const ctx = engineContext({ platforms: [platform] }, options.cloud);
  const kube = await clusterClient(ctx, platform.configCluster.name);
  if (!kube) {
    throw new ServiceNotFoundError(
      `the config cluster ${platform.configCluster.name} of platform ${platform.name} does not exist`,
    );
  }
  const record = await kube.read({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${SERVICE_RECORD_PREFIX}${ref.name}`, namespace: ref.namespace },
  });
  const text = record?.data?.[SERVICE_RECORD_KEY];
  if (typeof text !== 'string') {
    throw new ServiceNotFoundError(
      `service ${ref.namespace}/${ref.name} has not been applied to platform ${platform.name}`,
    );
  }
  const file = `configmap ${ref.namespace}/${SERVICE_RECORD_PREFIX}${ref.name}`;
  const checked = checkSpec([platformText, { file, text }]);
  if (!checked.ok) throw new ServiceRecordInvalidError(checked.issues.map(formatIssue).join('\n'));
  const services = checked.spec.services.filter((s) => s.name === ref.name && s.namespace === ref.namespace);
  return readHealth({ ...checked.spec, services }, options);
}
