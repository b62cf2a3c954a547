import express from 'express';
import Router from 'express-promise-router';
import { healthRoute, type HealthRouteOptions } from './healthRoute.js';
import { platformsRoute } from './platforms.js';

export type RouterOptions = HealthRouteOptions;

/**
 * The plugin's routes. Errors are rendered by the backend's root router, in Backstage's JSON shape.
 */
export function createRouter(options: RouterOptions): express.Router {
  const router = Router();
  router.get('/health/:namespace/:kind/:name', healthRoute(options));
  router.get('/platforms/:name', platformsRoute(options));
  return router;
}
