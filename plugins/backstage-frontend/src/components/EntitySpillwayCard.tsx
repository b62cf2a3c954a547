import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { MissingAnnotationEmptyState, useEntity } from '@backstage/plugin-catalog-react';
import { Grid, IconButton, LinearProgress, makeStyles, Tooltip, Typography } from '@material-ui/core';
import { CallSplit as CallSplitIcon, Refresh as RefreshIcon } from '@material-ui/icons';
import { isSpillwayAvailable, SPILLWAY_SERVICE_ANNOTATION } from '../annotations.js';
import type { SpillwayHealthResponse, SpillwayRegionHealth } from '../types.js';
import { utcTime, percent } from './format.js';
import { isFull, RegionTile } from './RegionTile.js';
import { useSpillwayHealth } from './useSpillwayHealth.js';

const useStyles = makeStyles((theme) => ({
  banner: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(1, 1.5),
    marginBottom: theme.spacing(2),
    borderRadius: 4,
    background: theme.palette.warning.main,
    color: theme.palette.getContrastText(theme.palette.warning.main),
    fontWeight: 600,
  },
  footer: { marginTop: theme.spacing(2), display: 'flex', flexDirection: 'column', gap: 2 },
  refreshing: { height: 2, marginBottom: theme.spacing(1) },
  idle: { height: 2, marginBottom: theme.spacing(1) },
}));

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
  const classes = useStyles();
  const { entity } = useEntity();
  const ref = {
    namespace: entity.metadata.namespace ?? 'default',
    kind: entity.kind,
    name: entity.metadata.name,
  };
  const { value, error, loading, refreshing, refresh } = useSpillwayHealth(ref, refreshIntervalMs);

  const action = (
    <Tooltip title="Read the health again now">
      <span>
        <IconButton aria-label="Refresh" onClick={refresh} disabled={loading || refreshing}>
          <RefreshIcon />
        </IconButton>
      </span>
    </Tooltip>
  );
  const subheader = value
    ? `${value.service.namespace}/${value.service.name} on platform ${value.platform}`
    : entity.metadata.annotations?.[SPILLWAY_SERVICE_ANNOTATION];

  return (
    <InfoCard title={title} subheader={subheader} action={action}>
      {refreshing ? (
        <LinearProgress className={classes.refreshing} aria-label="Refreshing" />
      ) : (
        <div className={classes.idle} />
      )}
      {loading && <Progress />}
      {error && (
        <WarningPanel
          severity="error"
          defaultExpanded
          title={
            value
              ? 'The last refresh failed; showing the previous reading'
              : "Could not read the service's health"
          }
        >
          <Typography variant="body2">{error.message}</Typography>
        </WarningPanel>
      )}
      {value && <HealthBody response={value} />}
    </InfoCard>
  );
}

/** The preferred region(s) first, the rest by name, so the tiles keep their places between reads. */
function preferredFirst(regions: SpillwayRegionHealth[]): SpillwayRegionHealth[] {
  return [...regions].sort(
    (a, b) => Number(b.preferred) - Number(a.preferred) || a.region.localeCompare(b.region),
  );
}

function HealthBody({ response }: { response: SpillwayHealthResponse }) {
  const classes = useStyles();
  const { regions, lastVerified } = response.health;
  const serviceName = response.service.name;
  if (regions.length === 0) {
    return (
      <Typography variant="body1">
        No regions are reported for {response.service.namespace}/{serviceName} on platform {response.platform}
        . Apply the service (<code>spillway apply</code>) and its regions appear here.
      </Typography>
    );
  }
  const spilling = regions.filter((r) => r.spilling).map((r) => r.region);
  const fullPreferred = regions.filter((r) => r.preferred && isFull(r));
  const verified = lastVerified?.[serviceName];

  return (
    <>
      {spilling.length > 0 && (
        <div className={classes.banner} role="alert">
          <CallSplitIcon aria-hidden />
          Traffic is spilling over:{' '}
          {fullPreferred
            .map((r) => `${r.region} is at ${percent(r.utilization ?? 0)} of its KV cache`)
            .join(', ') || 'the preferred region is full'}
          ; {spilling.join(', ')} {spilling.length === 1 ? 'takes' : 'take'} the overflow.
        </div>
      )}
      <Grid container spacing={2}>
        {preferredFirst(regions).map((region) => (
          <Grid item xs={12} md={6} key={`${region.service}/${region.region}`}>
            <RegionTile
              region={region}
              overflowTo={region.preferred ? spilling : []}
              overflowFrom={region.spilling ? fullPreferred.map((r) => r.region) : []}
            />
          </Grid>
        ))}
      </Grid>
      <div className={classes.footer}>
        <Typography variant="body2">
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
        </Typography>
        <Typography variant="caption" color="textSecondary">
          Read {utcTime(response.health.checkedAt)}
        </Typography>
      </div>
    </>
  );
}
