import { Badge, Flex, Text } from '@backstage/ui';
import {
  RiCheckboxCircleFill,
  RiCloseCircleFill,
  RiErrorWarningFill,
  RiGitForkLine,
  RiQuestionFill,
  RiStarFill,
} from '@remixicon/react';
import type { RegionHealth, RegionState } from '@spillway/backstage-plugin-spillway-common';
import { capacityText, percent } from './format.js';
import { styles } from './styles.js';
import { UtilizationBar } from './UtilizationBar.js';

const STATE_TEXT: Record<RegionState, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  down: 'Down',
  unknown: 'Unknown (unreadable)',
};

const STATE_COLOR = {
  healthy: 'success',
  degraded: 'warning',
  down: 'danger',
  unknown: 'secondary',
} as const;

function StateIcon({ state }: { state: RegionState }) {
  const props = { size: 18, 'aria-hidden': true };
  if (state === 'healthy') return <RiCheckboxCircleFill {...props} />;
  if (state === 'degraded') return <RiErrorWarningFill {...props} />;
  if (state === 'down') return <RiCloseCircleFill {...props} />;
  return <RiQuestionFill {...props} />;
}

/** The preferred region is at or above the load balancer's threshold (as the core's markSpilling reads it). */
export function isFull(region: RegionHealth): boolean {
  return region.threshold !== undefined && (region.utilization ?? 0) >= region.threshold;
}

/** Region names, each kept on one line. */
function Regions({ names, fallback }: { names: string[]; fallback: string }) {
  if (names.length === 0) return <>{fallback}</>;
  return (
    <>
      {names.map((name, i) => (
        <span key={name} style={{ whiteSpace: 'nowrap' }}>
          {i > 0 ? ', ' : ''}
          {name}
        </span>
      ))}
    </>
  );
}

/** A label on the left, its value on the right. */
function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Flex justify="between" gap="2">
      <Text variant="body-medium">{label}</Text>
      {children}
    </Flex>
  );
}

/** The tier the servers' nodes came from (a ComputeClass's reservation, on-demand, flex-start or Spot). */
function CapacityRow({ capacity }: { capacity: NonNullable<RegionHealth['capacity']> }) {
  const { tiers, unavailable } = capacityText(capacity);
  return (
    <Row label="Capacity">
      <Text variant="body-medium" title={`ComputeClass ${capacity.computeClass}`}>
        <strong>{tiers}</strong>
        {unavailable.length > 0 && ` (${unavailable.join(', ')} unavailable)`}
      </Text>
    </Row>
  );
}

export interface RegionTileProps {
  region: RegionHealth;
  /** Regions of the same service taking the overflow, named on the preferred region's tile. */
  overflowTo: string[];
  /** The preferred region(s) whose overflow this region takes. */
  overflowFrom: string[];
}

export function RegionTile({ region, overflowTo, overflowFrom }: RegionTileProps) {
  const failing = region.checks.filter((check) => !check.ok);
  const fullAndSpilling = region.preferred && isFull(region) && overflowTo.length > 0;
  const spillSign = region.spilling ? (
    <span>
      Spilling over: takes the overflow of <Regions names={overflowFrom} fallback="the preferred region" />
    </span>
  ) : fullAndSpilling ? (
    <span>
      Spilling over: full, overflow goes to <Regions names={overflowTo} fallback="other regions" />
    </span>
  ) : undefined;

  return (
    <section
      style={{ ...styles.tile, ...(spillSign ? styles.spillingTile : {}) }}
      aria-label={`Region ${region.region}`}
      data-testid={`spillway-region-${region.region}`}
    >
      <Flex align="center" gap="2">
        <Text as="h3" variant="title-x-small">
          {region.region}
        </Text>
        <Text variant="body-small" color="secondary" style={{ flexGrow: 1 }}>
          cluster {region.cluster}
        </Text>
        {region.preferred && <Badge icon={<RiStarFill size={14} aria-hidden />}>Preferred</Badge>}
      </Flex>

      <Flex align="center" gap="1" style={{ color: `var(--bui-fg-${STATE_COLOR[region.state]})` }}>
        <StateIcon state={region.state} />
        <Text variant="body-large" weight="bold" color={STATE_COLOR[region.state]}>
          {STATE_TEXT[region.state]}
        </Text>
      </Flex>

      {spillSign && (
        <div style={styles.spill} role="status">
          <RiGitForkLine size={16} aria-hidden />
          {spillSign}
        </div>
      )}

      <Row label="Model servers">
        <Text variant="body-medium">
          {region.modelServers ? (
            <strong>
              {region.modelServers.ready}/{region.modelServers.desired} ready
            </strong>
          ) : (
            'unknown'
          )}
          {region.hpa?.desiredReplicas !== undefined &&
            region.modelServers &&
            region.hpa.desiredReplicas !== region.modelServers.desired &&
            ` (HPA wants ${region.hpa.desiredReplicas})`}
        </Text>
      </Row>

      {region.capacity && <CapacityRow capacity={region.capacity} />}

      <UtilizationBar
        utilization={region.utilization}
        target={region.hpa?.target}
        threshold={region.threshold}
        source={region.utilizationSource}
      />

      <Row label="Gateway">
        <Text variant="body-medium" style={styles.address}>
          {region.gatewayAddress ?? 'no address yet'}
        </Text>
      </Row>

      {failing.length > 0 && (
        <div>
          <Text variant="body-medium" color="danger">
            {failing.length === 1 ? '1 check fails' : `${failing.length} checks fail`}
          </Text>
          <ul style={styles.checks}>
            {failing.map((check) => (
              <li key={check.name}>
                <Text variant="body-medium">
                  <strong>{check.name}</strong>: {check.detail}
                </Text>
              </li>
            ))}
          </ul>
        </div>
      )}

      {region.drift && region.drift.length > 0 && (
        <Text variant="body-small" color="secondary">
          Drifted from the spec: {region.drift.join(', ')}
        </Text>
      )}
      {region.utilization !== undefined && region.threshold !== undefined && region.preferred && (
        <Text variant="body-small" color="secondary">
          {isFull(region)
            ? `At ${percent(region.utilization)}, at or above the ${percent(region.threshold)} threshold`
            : `Headroom before spill-over: ${percent(Math.max(0, region.threshold - region.utilization))}`}
        </Text>
      )}
    </section>
  );
}
