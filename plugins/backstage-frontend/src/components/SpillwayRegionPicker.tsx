import { useEffect } from 'react';
import { parseEntityRef } from '@backstage/catalog-model';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { Alert, Checkbox, CheckboxGroup, Flex, Radio, RadioGroup, Skeleton, Text } from '@backstage/ui';
import type { SpillwayPlatformRegion } from '@spillway/backstage-plugin-spillway-common';
import { usePlatform } from './usePlatform.js';

export interface SpillwayRegionPickerUiOptions {
  /** The form field holding the chosen platform: an entity ref of its catalog Resource (default `platform`). */
  platformField?: string;
  /** For one region (a string field): offer only the regions chosen in this (array) field. */
  regionsField?: string;
}

/** The configured platform's name from the platform field: the name of the chosen Resource. */
export function platformNameOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  try {
    return parseEntityRef(value, { defaultKind: 'resource', defaultNamespace: 'default' }).name;
  } catch {
    return undefined;
  }
}

const labelOf = ({ region, cluster, configCluster }: SpillwayPlatformRegion) =>
  `${region} (cluster ${cluster}${configCluster ? ', config cluster' : ''})`;

/**
 * The regions of the platform chosen in another field of the form, read from the platform's spec
 * through the Spillway backend: checkboxes for an array field (the regions to run in), radio
 * buttons for a string field (one of them, e.g. the preferred region).
 */
export function SpillwayRegionPicker(
  props: FieldExtensionComponentProps<string[] | string, SpillwayRegionPickerUiOptions>,
) {
  const { formData, onChange, formContext, uiSchema, schema, required, rawErrors } = props;
  const options = uiSchema?.['ui:options'] ?? {};
  const others = (formContext?.formData ?? {}) as Record<string, unknown>;
  const platformName = platformNameOf(others[options.platformField ?? 'platform']);
  const within = options.regionsField ? others[options.regionsField] : undefined;
  const { platform, error, loading } = usePlatform(platformName);
  const offered = platform?.regions.filter((r) => !Array.isArray(within) || within.includes(r.region));
  const names = offered?.map((r) => r.region);
  const many = schema.type === 'array';
  const chosen = many
    ? Array.isArray(formData)
      ? formData
      : []
    : typeof formData === 'string'
      ? formData
      : '';

  // Regions chosen for another platform (or no longer among the chosen regions) are dropped.
  useEffect(() => {
    if (!names) return;
    if (Array.isArray(chosen) && chosen.some((r) => !names.includes(r)))
      onChange(chosen.filter((r) => names.includes(r)));
    else if (typeof chosen === 'string' && chosen && !names.includes(chosen)) onChange(undefined);
  }, [names?.join(), Array.isArray(chosen) ? chosen.join() : chosen]);

  const label = schema.title ?? (many ? 'Regions' : 'Region');
  if (!platformName)
    return (
      <Text variant="body-medium" color="secondary">
        {label}: choose a platform first; its regions are offered here.
      </Text>
    );
  if (loading)
    return <Skeleton width="100%" height={64} aria-label={`Loading the regions of ${platformName}`} />;
  if (error)
    return (
      <Alert
        status="danger"
        icon
        title={`The regions of ${platformName} cannot be offered`}
        description={error.message}
      />
    );

  const description = schema.description ?? `The regions of platform ${platformName}.`;
  return (
    <Flex direction="column" gap="1">
      {many ? (
        <CheckboxGroup
          label={label}
          description={description}
          isRequired={required}
          value={chosen as string[]}
          onChange={(values) => onChange(values)}
        >
          {offered!.map((r) => (
            <Checkbox key={r.region} value={r.region}>
              {labelOf(r)}
            </Checkbox>
          ))}
        </CheckboxGroup>
      ) : (
        <RadioGroup
          label={label}
          description={description}
          isRequired={required}
          value={chosen as string}
          onChange={(value) => onChange(value || undefined)}
        >
          {offered!.map((r) => (
            <Radio key={r.region} value={r.region}>
              {labelOf(r)}
            </Radio>
          ))}
          {!required && <Radio value="">None</Radio>}
        </RadioGroup>
      )}
      {rawErrors?.map((message) => (
        <Text key={message} variant="body-small" color="danger">
          {message}
        </Text>
      ))}
    </Flex>
  );
}
