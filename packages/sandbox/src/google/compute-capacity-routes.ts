/** The read-only capacity routes of Compute: projects.get, regions.get, acceleratorTypes.list, reservations.get. */
import { defaultProjectNumber, type TappedRoute } from './common.js';
import {
  acceleratorTypeList,
  createCapacityState,
  projectView,
  regionView,
  reservationView,
} from './compute-capacity.js';
import type { ComputeState } from './compute-state.js';
import type { AcceleratorUsage } from './compute-usage.js';

export function capacityRoutes(state: ComputeState, usage: AcceleratorUsage = () => ({})): TappedRoute[] {
  const capacity = () => (state.capacity ??= createCapacityState());
  const gpusInUse = (project: string) =>
    state.regions
      .flatMap((r) => Object.entries(usage(project, r)))
      .filter(([metric]) => metric.endsWith('_GPUS'))
      .reduce((n, [, count]) => n + count, 0);
  const base = '/compute/v1/projects/{project}';
  return [
    {
      method: 'GET',
      path: base,
      name: 'projects.get',
      handler: (req) =>
        projectView(
          capacity(),
          req.params.project!,
          defaultProjectNumber(req.params.project!),
          gpusInUse(req.params.project!),
        ),
    },
    {
      method: 'GET',
      path: `${base}/regions/{region}`,
      name: 'regions.get',
      handler: (req) =>
        regionView(
          capacity(),
          state.regions,
          req.params.project!,
          req.params.region!,
          usage(req.params.project!, req.params.region!),
        ),
    },
    {
      method: 'GET',
      path: `${base}/zones/{zone}/acceleratorTypes`,
      name: 'acceleratorTypes.list',
      handler: (req) => acceleratorTypeList(capacity(), state.regions, req.params.project!, req.params.zone!),
    },
    {
      method: 'GET',
      path: `${base}/zones/{zone}/reservations/{reservation}`,
      name: 'reservations.get',
      handler: (req) =>
        reservationView(
          capacity(),
          state.regions,
          req.params.project!,
          req.params.zone!,
          req.params.reservation!,
        ),
    },
  ];
}
