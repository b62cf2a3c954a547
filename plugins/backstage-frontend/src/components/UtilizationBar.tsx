import { Flex, Text } from '@backstage/ui';
import { percent } from './format.js';
import { fillColors, styles } from './styles.js';

export interface UtilizationBarProps {
  /** KV-cache utilization, a fraction; undefined when it could not be read. */
  utilization?: number;
  /** The HPA's target utilization, a fraction. */
  target?: number;
  /** The load balancer's threshold, a fraction: at or above it, traffic spills to other regions. */
  threshold?: number;
  source?: 'monitoring' | 'hpa';
}

const clamp = (fraction: number) => Math.min(100, Math.max(0, fraction * 100));

/** KV-cache utilization as a bar, marked with the HPA target (dashed) and the spill-over threshold (solid). */
export function UtilizationBar({ utilization, target, threshold, source }: UtilizationBarProps) {
  const fill =
    utilization === undefined
      ? undefined
      : threshold !== undefined && utilization >= threshold
        ? fillColors.overThreshold
        : target !== undefined && utilization > target
          ? fillColors.overTarget
          : fillColors.underTarget;
  const description = [
    utilization === undefined ? 'KV-cache utilization unknown' : `KV cache ${percent(utilization)} used`,
    target !== undefined ? `HPA target ${percent(target)}` : undefined,
    threshold !== undefined ? `load balancer threshold ${percent(threshold)}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');

  return (
    <Flex direction="column" gap="1">
      <Text variant="body-medium">
        KV cache <strong>{utilization === undefined ? 'unknown' : percent(utilization)}</strong>
        {source ? ` (from ${source === 'monitoring' ? 'Cloud Monitoring' : 'the HPA'})` : ''}
      </Text>
      <div
        style={styles.track}
        role="meter"
        aria-label="KV-cache utilization"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={utilization === undefined ? undefined : Math.round(utilization * 100)}
        aria-valuetext={description}
        title={description}
      >
        {utilization !== undefined && (
          <div style={{ ...styles.fill, background: fill, width: `${clamp(utilization)}%` }} />
        )}
        {target !== undefined && (
          <div style={{ ...styles.marker, ...styles.targetMarker, left: `${clamp(target)}%` }} />
        )}
        {threshold !== undefined && (
          <div
            style={{ ...styles.marker, ...styles.thresholdMarker, left: `calc(${clamp(threshold)}% - 1px)` }}
          />
        )}
      </div>
      <Flex gap="3" aria-hidden="true">
        {target !== undefined && (
          <Text variant="body-x-small" color="secondary">
            <span style={{ ...styles.swatch, ...styles.targetMarker }} />
            HPA target {percent(target)}
          </Text>
        )}
        {threshold !== undefined && (
          <Text variant="body-x-small" color="secondary">
            <span style={{ ...styles.swatch, ...styles.thresholdMarker }} />
            Spill-over threshold {percent(threshold)}
          </Text>
        )}
      </Flex>
    </Flex>
  );
}
