import type { Owner } from './graph.js';

/** Labels on Google Cloud resources that have labels (CONTRACT.md §4). */
export function gcpLabels(platform: string): Record<string, string> {
  return { 'managed-by': 'spillway', 'spillway-platform': platform };
}

/** Labels on every Kubernetes object Spillway applies (CONTRACT.md §4). */
export function kubeLabels(owner: Owner): Record<string, string> {
  return owner.service
    ? { 'app.kubernetes.io/managed-by': 'spillway', 'spillway.dev/service': owner.service }
    : { 'app.kubernetes.io/managed-by': 'spillway', 'spillway.dev/platform': owner.platform };
}

export const FIELD_MANAGER = 'spillway';
