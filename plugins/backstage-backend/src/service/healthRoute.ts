import type {
  AuthService,
  BackstageCredentials,
  CacheService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  spillwayHealthReadPermission,
  type SpillwayHealthResponse,
} from '@spillway/backstage-plugin-spillway-common';
import type { HealthSettings, PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';
import { ServiceNotFoundError, ServiceRecordInvalidError } from '@spillway/shared';
import type express from 'express';
import { serviceOfEntity } from './annotations.js';
import { AnswerCache } from './answers.js';
import type { HealthReader } from './health.js';

export interface HealthRouteOptions {
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  cache: CacheService;
  platforms: PlatformRegistry;
  settings: HealthSettings;
  /** The upstream read; injectable so tests can count and slow it down. */
  readHealth: HealthReader;
}

/** `GET /health/:namespace/:kind/:name`: the regional health of the entity's Spillway service. */
export function healthRoute(options: HealthRouteOptions): express.RequestHandler {
  const { auth, httpAuth, permissions, catalog, platforms, settings, readHealth } = options;
  const answers = new AnswerCache(options.cache, settings.cacheTtlMs);

  /** The entity, its service and that service's health: the work a cached answer saves. */
  async function readAnswer(entityRef: string): Promise<SpillwayHealthResponse> {
    const entity = await catalog.getEntityByRef(entityRef, {
      credentials: await auth.getOwnServiceCredentials(),
    });
    if (!entity) throw new NotFoundError(`no entity ${entityRef} in the catalog`);
    const { platform, service } = serviceOfEntity(entity, entityRef, platforms);
    try {
      const health = await withDeadline(
        readHealth(platform, service, { regionTimeoutMs: settings.regionTimeoutMs }),
        readDeadlineMs(settings.regionTimeoutMs),
        platform.name,
      );
      return { entityRef, platform: platform.name, service, health, fetchedAt: new Date().toISOString() };
    } catch (error) {
      throw error instanceof ServiceUnavailableError ? error : upstreamError(error as Error, platform.name);
    }
  }

  return async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const { namespace, kind, name } = req.params as { namespace: string; kind: string; name: string };
    const entityRef = stringifyEntityRef({ kind, namespace, name }).toLocaleLowerCase('en-US');
    await authorizeHealthRead(permissions, credentials, entityRef);
    const { body, etag } = await answers.get(`health:${entityRef}`, () => readAnswer(entityRef));
    // The answer depends on the caller's permissions: private; revalidated (304) on each refresh.
    res.set({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'private, no-cache',
      etag,
    });
    if (req.fresh) res.status(304).end();
    else res.end(body);
  };
}

/**
 * The caller must be allowed both to read the entity in the catalog and to read its Spillway
 * health: one request to the permission framework for the two.
 */
async function authorizeHealthRead(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRef: string,
): Promise<void> {
  const [entityRead, healthRead] = await permissions.authorize(
    [catalogEntityReadPermission, spillwayHealthReadPermission].map((permission) => ({
      permission,
      resourceRef: entityRef,
    })),
    { credentials },
  );
  if (entityRead?.result !== AuthorizeResult.ALLOW)
    throw new NotAllowedError(`you may not read ${entityRef} in the catalog`);
  if (healthRead?.result !== AuthorizeResult.ALLOW)
    throw new NotAllowedError(
      `you may not read the Spillway health of ${entityRef} (permission ${spillwayHealthReadPermission.name})`,
    );
}

/**
 * The whole read's deadline: the record in the config cluster, then every region in parallel (each
 * within its own deadline). A config cluster that hangs must not hold the request forever.
 */
export function readDeadlineMs(regionTimeoutMs: number): number {
  return 2 * regionTimeoutMs + 1_000;
}

async function withDeadline<T>(read: Promise<T>, ms: number, platform: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ServiceUnavailableError(
            `platform ${platform} did not answer within ${ms / 1000} s — its config cluster may be unreachable from the backend; check the cluster and the network`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors of the upstream read, as the HTTP errors a caller can act on. */
function upstreamError(error: Error, platform: string): Error {
  if (error instanceof ServiceNotFoundError) return new NotFoundError(`${error.message} — run apply first`);
  if (error instanceof ServiceRecordInvalidError) return error;
  return new ServiceUnavailableError(
    `cannot read the health of platform ${platform}: ${error.message.split('\n')[0]} — check the backend's access to the platform's project and its config cluster`,
  );
}
