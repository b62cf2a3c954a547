import type { InferenceExtensionVersion, Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';
import { inferencePoolChartV1_0_1 } from './inferencepool-v1.0.1.js';
import { inferencePoolChartV1_5_0 } from './inferencepool-v1.5.0.js';

/**
 * What the gateway-api-inference-extension `inferencepool` chart renders with `provider.name=gke`
 * and Google's monitoring on, for the release the service names (`pool.inferenceExtension`),
 * written in TypeScript so rendering stays pure. Each version's file lists where it differs from
 * its chart, on purpose.
 */
export function inferencePoolChart(service: Service, labels: Record<string, string>): KubeManifest[] {
  return CHARTS[service.pool.inferenceExtension](service, labels);
}

const CHARTS: Record<
  InferenceExtensionVersion,
  (service: Service, labels: Record<string, string>) => KubeManifest[]
> = { 'v1.0.1': inferencePoolChartV1_0_1, 'v1.5.0': inferencePoolChartV1_5_0 };
