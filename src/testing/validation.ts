/**
 * The API server's validation messages, word for word (k8s.io/apimachinery's
 * util/validation and field errors, and the Event rules of
 * pkg/apis/core/validation/events.go): object names, label keys and values,
 * and the fields an `events.k8s.io/v1` Event must have.
 */

/** One field error, as a Status cause. */
export interface FieldError {
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTypeInvalid';
  message: string;
  field: string;
}

const quote = (v: unknown) => JSON.stringify(v);

export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${typeof value === 'string' ? quote(value) : JSON.stringify(value)}: ${detail}`,
  field,
});
export const required = (field: string, detail = ''): FieldError => ({
  reason: 'FieldValueRequired',
  message: detail ? `Required value: ${detail}` : 'Required value',
  field,
});
export const forbidden = (field: string, detail: string): FieldError => ({
  reason: 'FieldValueForbidden',
  message: `Forbidden: ${detail}`,
  field,
});
export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map(quote).join(', ')}`,
  field,
});

/** `field: message` of each error, as the Invalid Status message lists them. */
export function errorList(errors: readonly FieldError[]): string {
  const one = (e: FieldError) => (e.field ? `${e.field}: ${e.message}` : e.message);
  return errors.length === 1 ? one(errors[0] as FieldError) : `[${errors.map(one).join(', ')}]`;
}

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;
const QUALIFIED = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const regexError = (msg: string, re: string, ...examples: string[]) =>
  `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const QUALIFIED_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** RFC 1123 subdomain: most object names. */
export function dnsSubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!new RegExp(`^${SUBDOMAIN}$`).test(value)) errs.push(regexError(SUBDOMAIN_MSG, SUBDOMAIN, 'example.com'));
  return errs;
}

/** RFC 1123 label: namespace names. */
export function dnsLabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!new RegExp(`^${LABEL}$`).test(value)) {
    errs.push(
      new RegExp(`^${SUBDOMAIN}$`).test(value) ? 'must not contain dots' : regexError(LABEL_MSG, LABEL, 'my-name', '123-abc'),
    );
  }
  return errs;
}

/** A qualified name (`prefix/name`): label keys, an Event's reportingController. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0] as string;
  else if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dnsSubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_MSG, QUALIFIED, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!new RegExp(`^${QUALIFIED}$`).test(name))
    errs.push(`name part ${regexError(QUALIFIED_MSG, QUALIFIED, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const LABEL_VALUE = `(${QUALIFIED})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!new RegExp(`^${LABEL_VALUE}$`).test(value))
    errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** `metadata.name` (and generateName) of a new object. */
export function nameErrors(metadata: { name?: unknown; generateName?: unknown }, kind: 'subdomain' | 'label'): FieldError[] {
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!name) {
    return metadata.generateName ? [] : [required('metadata.name', 'name or generateName is required')];
  }
  const errs = kind === 'label' ? dnsLabelErrors(name) : dnsSubdomainErrors(name);
  return errs.map((e) => invalidValue('metadata.name', name, e));
}

/** Labels and annotations of any object. */
export function metadataErrors(metadata: { labels?: unknown; annotations?: unknown }): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries((metadata.labels ?? {}) as Record<string, unknown>)) {
    for (const m of qualifiedNameErrors(key)) errs.push(invalidValue('metadata.labels', key, m));
    if (typeof value === 'string') for (const m of labelValueErrors(value)) errs.push(invalidValue(`metadata.labels`, value, m));
  }
  for (const key of Object.keys((metadata.annotations ?? {}) as Record<string, unknown>)) {
    for (const m of qualifiedNameErrors(key.toLowerCase())) errs.push(invalidValue('metadata.annotations', key, m));
  }
  return errs;
}

/**
 * A new `events.k8s.io/v1` Event: the legacy checks first, then the strict v1
 * ones, as ValidateEventCreate orders them. Field names are the internal
 * type's (`note` is `message` there, as the real server reports it).
 */
export function eventErrors(
  event: Record<string, unknown>,
  namespace: string | undefined,
  meta: readonly FieldError[],
): FieldError[] {
  const errs: FieldError[] = [];
  const str = (k: string) => (typeof event[k] === 'string' ? (event[k] as string) : '');
  const regarding = (event.regarding ?? {}) as { namespace?: string };
  const eventTime = event.eventTime;
  if (!eventTime) {
    const involved = regarding.namespace ?? '';
    if (involved === '' ? namespace !== undefined && namespace !== '' && namespace !== 'default' : namespace !== involved) {
      errs.push(invalidValue('involvedObject.namespace', involved, 'does not match event.namespace'));
    }
  } else {
    if (!regarding.namespace && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(invalidValue('involvedObject.namespace', regarding.namespace ?? '', 'does not match event.namespace'));
    }
    const controller = str('reportingController');
    if (!controller) errs.push(required('reportingController'));
    for (const m of qualifiedNameErrors(controller)) errs.push(invalidValue('reportingController', controller, m));
    if (!str('reportingInstance')) errs.push(required('reportingInstance'));
    if (str('reportingInstance').length > 128)
      errs.push(invalidValue('reportingInstance', '', 'can have at most 128 characters'));
    if (!str('action')) errs.push(required('action'));
    if (str('action').length > 128) errs.push(invalidValue('action', '', 'can have at most 128 characters'));
    if (!str('reason')) errs.push(required('reason'));
    if (str('reason').length > 128) errs.push(invalidValue('reason', '', 'can have at most 128 characters'));
    if (str('note').length > 1024) errs.push(invalidValue('message', '', 'can have at most 1024 characters'));
  }
  errs.push(...meta);
  const series = event.series as { count?: number; lastObservedTime?: string } | undefined;
  if (series) {
    if ((series.count ?? 0) < 2) errs.push(invalidValue('series.count', '', 'should be at least 2'));
    if (!series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  }
  if (!eventTime) errs.push(required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning')
    errs.push(invalidValue('type', '', `has invalid value: ${str('type')}`));
  if (event.deprecatedFirstTimestamp) errs.push(invalidValue('firstTimestamp', '', 'needs to be unset'));
  if (event.deprecatedLastTimestamp) errs.push(invalidValue('lastTimestamp', '', 'needs to be unset'));
  if (event.deprecatedCount) errs.push(invalidValue('count', '', 'needs to be unset'));
  const source = event.deprecatedSource as { component?: string; host?: string } | undefined;
  if (source?.component || source?.host) errs.push(invalidValue('source', '', 'needs to be unset'));
  return errs;
}
