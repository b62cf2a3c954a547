/**
 * Kubernetes for the sandbox: one API server per simulated GKE cluster (ARCHITECTURE.md, "The
 * sandbox"; issue 3, "Kubernetes, one API server per created cluster").
 */
export { createCertificateAuthority, createServerCertificate, type CertificateAuthority } from './certs.js';
export { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions } from './server.js';
export {
  ObjectStore,
  INITIAL_NAMESPACES,
  type ChangeEvent,
  type KubeObject,
  type ListOptions,
  type ObjectMeta,
  type WriteOptions,
} from './store.js';
export { Registry, KUBE_VERSION, type ResourceInfo } from './discovery.js';
export { KubeError, type StatusCause } from './errors.js';
export type { ManagedFieldsEntry } from './apply.js';
