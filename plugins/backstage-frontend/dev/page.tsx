/**
 * The dev harness's page: the entity card inside Backstage's test app wrappers, talking over HTTP
 * to the backend the harness runs. The harness serves a mock user token in `window.__SPILLWAY_DEV__`
 * (acceptable for a dev harness: the backend runs with Backstage's mock auth, never real users).
 */
import { createRoot } from 'react-dom/client';
import { TestApiProvider, wrapInTestApp } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { Button, Container, Flex, Text } from '@backstage/ui';
import '@backstage/ui/css/styles.css';
import { EntitySpillwayCardContent, SpillwayClient, spillwayApiRef } from '../src/index.js';

interface DevSettings {
  token: string;
  entity: Entity;
  refreshIntervalMs: number;
}

const settings = (window as unknown as { __SPILLWAY_DEV__: DevSettings }).__SPILLWAY_DEV__;

const client = new SpillwayClient({
  discoveryApi: { getBaseUrl: async (pluginId) => `${window.location.origin}/api/${pluginId}` },
  fetchApi: {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${settings.token}`);
      return fetch(input, { ...init, headers });
    },
  },
});

function post(path: string) {
  return () => void fetch(path, { method: 'POST' });
}

function Page() {
  return (
    <Container style={{ paddingTop: 24, paddingBottom: 24, maxWidth: 960 }}>
      <Flex align="center" justify="between" mb="4">
        <Text as="h1" variant="title-medium">
          {settings.entity.kind} {settings.entity.metadata.name}
        </Text>
        <Flex gap="2">
          <Button variant="secondary" size="small" onPress={post('/dev/spill')}>
            Drive load (spill)
          </Button>
          <Button variant="secondary" size="small" onPress={post('/dev/calm')}>
            Stop load
          </Button>
        </Flex>
      </Flex>
      <div id="spillway-card">
        <EntitySpillwayCardContent refreshIntervalMs={settings.refreshIntervalMs} />
      </div>
    </Container>
  );
}

createRoot(document.getElementById('root')!).render(
  wrapInTestApp(
    <TestApiProvider apis={[[spillwayApiRef, client]]}>
      <EntityProvider entity={settings.entity}>
        <Page />
      </EntityProvider>
    </TestApiProvider>,
  ),
);
