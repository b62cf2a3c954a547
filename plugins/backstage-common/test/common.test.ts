import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { isResourcePermission } from '@backstage/plugin-permission-common';
import { isSpillwayAvailable, spillwayHealthReadPermission, spillwayPermissions } from '../src/index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entity = (annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'food-review', annotations },
});

describe('spillway.health.read', () => {
  it('is a read permission on catalog entities, so policies can decide per entity', () => {
    expect(spillwayHealthReadPermission).toEqual({
      type: 'resource',
      name: 'spillway.health.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    expect(isResourcePermission(spillwayHealthReadPermission, 'catalog-entity')).toBe(true);
    expect(spillwayPermissions).toEqual([spillwayHealthReadPermission]);
  });
});

describe('isSpillwayAvailable', () => {
  it('is true only for entities with a non-blank spillway.dev/service annotation', () => {
    expect(isSpillwayAvailable(entity({ 'spillway.dev/service': 'default/food-review' }))).toBe(true);
    expect(isSpillwayAvailable(entity({ 'spillway.dev/service': ' ' }))).toBe(false);
    expect(isSpillwayAvailable(entity({}))).toBe(false);
  });
});

describe('the published package', () => {
  it("carries the core's health model in its own declarations, without depending on the core", () => {
    const declarations = readFileSync(new URL('../dist/index.d.ts', import.meta.url), 'utf8');
    expect(declarations).toMatch(/export declare interface RegionHealth \{/);
    expect(declarations).not.toContain('@spillway/shared');
    expect(Object.keys(packageJson.dependencies)).not.toContain('@spillway/shared');
  });
});
