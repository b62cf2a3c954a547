import {
  Alert,
  ButtonIcon,
  Card,
  CardBody,
  CardFooter,
  CardHeader,
  Flex,
  Grid,
  Skeleton,
  Text,
  Tooltip,
  TooltipTrigger,
} from '@backstage/ui';
import { MissingAnnotationEmptyState, useEntity } from '@backstage/plugin-catalog-react';
import { RiGitForkLine, RiRefreshLine } from '@remixicon/react';
import {
  isSpillwayAvailable,
  SPILLWAY_SERVICE_ANNOTATION,
  type RegionHealth,
  type SpillwayHealthResponse,
} from '@spillway/backstage-plugin-spillway-common';
import { percent, utcTime } from './format.js';
import { isFull, RegionTile } from './RegionTile.js';
import { styles } from './styles.js';
import { useSpillwayHealth } from './useSpillwayHealth.js';

export interface EntitySpillwayCardProps {
  /** How often the card reads the health again by itself, in milliseconds; 0 turns it off. */
  refreshIntervalMs?: number;
  title?: string;
}

export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;

/** Each region of the entity's Spillway service at a glance. */
export function EntitySpillwayCard(props: EntitySpillwayCardProps) {
  const { entity } = useEntity();
  if (!isSpillwayAvailable(entity)) {
    return <MissingAnnotationEmptyState annotation={SPILLWAY_SERVICE_ANNOTATION} />;
  }
  return <SpillwayHealthCard {...props} />;
}

function SpillwayHealthCard({
  refreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS,
  title = 'Spillway: regional health',
}: EntitySpillwayCardProps) {
  const { entity } = useEntity();
  const ref = {
    namespace: entity.metadata.namespace ?? 'default',
    kind: entity.kind,
    name: entity.metadata.name,
  };
  const { value, error, loading, refreshing, refresh } = useSpillwayHealth(ref, refreshIntervalMs);
  const subheader = value
    ? `${value.service.namespace}/${value.service.name} on platform ${value.platform}`
    : entity.metadata.annotations?.[SPILLWAY_SERVICE_ANNOTATION];

  return (
    <Card>
      <CardHeader>
        <Flex justify="between" align="center" gap="2">
          <Flex direction="column" gap="0.5">
            <Text as="h2" variant="title-small">
              {title}
            </Text>
            <Text variant="body-medium" color="secondary">
              {subheader}
            </Text>
          </Flex>
          <TooltipTrigger>
            <ButtonIcon
              aria-label="Refresh"
              variant="tertiary"
              icon={<RiRefreshLine />}
              onPress={refresh}
              isDisabled={loading || refreshing}
              loading={refreshing}
            />
            <Tooltip>Read the health again now</Tooltip>
          </TooltipTrigger>
        </Flex>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="3" aria-busy={loading || refreshing}>
          {refreshing && (
            <Text variant="body-small" color="secondary" role="status" aria-label="Refreshing">
              Reading again…
            </Text>
          )}
          {loading && <Skeleton width="100%" height={220} aria-label="Loading" data-testid="progress" />}
          {error && (
            <Alert
              status="danger"
              icon
              title={
                value
                  ? 'The last refresh failed; showing the previous reading'
                  : "Could not read the service's health"
              }
              description={error.message}
            />
          )}
          {value && <HealthBody response={value} />}
        </Flex>
      </CardBody>
      {value && <HealthFooter response={value} />}
    </Card>
  );
}

/** The preferred region(s) first, the rest by name, so the tiles keep their places between reads. */
function preferredFirst(regions: RegionHealth[]): RegionHealth[] {
  return [...regions].sort(
    (a, b) => Number(b.preferred) - Number(a.preferred) || a.region.localeCompare(b.region),
  );
}

function HealthBody({ response }: { response: SpillwayHealthResponse }) {
  const { regions } = response.health;
  if (regions.length === 0) {
    return (
      <Text variant="body-large">
        No regions are reported for {response.service.namespace}/{response.service.name} on platform{' '}
        {response.platform}. Apply the service (<code>spillway apply</code>) and its regions appear here.
      </Text>
    );
  }
  const spilling = regions.filter((r) => r.spilling).map((r) => r.region);
  const fullPreferred = regions.filter((r) => r.preferred && isFull(r));

  return (
    <>
      {spilling.length > 0 && (
        <div style={styles.banner} role="alert">
          <RiGitForkLine size={18} aria-hidden />
          Traffic is spilling over:{' '}
          {fullPreferred
            .map((r) => `${r.region} is at ${percent(r.utilization ?? 0)} of its KV cache`)
            .join(', ') || 'the preferred region is full'}
          ; {spilling.join(', ')} {spilling.length === 1 ? 'takes' : 'take'} the overflow.
        </div>
      )}
      <Grid.Root columns={{ initial: '1', sm: '2' }} gap="3">
        {preferredFirst(regions).map((region) => (
          <Grid.Item key={`${region.service}/${region.region}`}>
            <RegionTile
              region={region}
              overflowTo={region.preferred ? spilling : []}
              overflowFrom={region.spilling ? fullPreferred.map((r) => r.region) : []}
            />
          </Grid.Item>
        ))}
      </Grid.Root>
    </>
  );
}

function HealthFooter({ response }: { response: SpillwayHealthResponse }) {
  const verified = response.health.lastVerified?.[response.service.name];
  return (
    <CardFooter>
      <Flex direction="column" gap="0.5">
        <Text variant="body-medium">
          {verified ? (
            <>
              Last verified {utcTime(verified.checkedAt)}:{' '}
              <strong>{verified.ok ? 'passed' : 'failed'}</strong>
              {!verified.ok && verified.failed.length > 0 && ` (${verified.failed.join('; ')})`}
            </>
          ) : (
            <>
              Never verified: run <code>spillway verify</code> to record a result.
            </>
          )}
        </Text>
        <Text variant="body-small" color="secondary">
          Read {utcTime(response.health.checkedAt)}
        </Text>
      </Flex>
    </CardFooter>
  );
}
