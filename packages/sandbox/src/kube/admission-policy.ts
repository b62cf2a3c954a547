/**
 * ValidatingAdmissionPolicy as the API server runs it (k8s.io/apiserver, policy/validating):
 * for each policy that matches the request and each of its bindings that matches, the params
 * (paramRef by name or selector; missing: parameterNotFoundAction), then per param the
 * matchConditions (any false: skip; else an error: failurePolicy), the variables (lazily, an
 * error surfaces where one is read) and the validations (false: denied with messageExpression,
 * message or the expression; an error: failurePolicy). A configuration error (missing params
 * with Deny) follows failurePolicy before any expression runs. The first denial is the answer.
 */
import {
  requestMatches,
  selectorMatches,
  type AdmissionRequest,
  type MatchResources,
} from './admission-match.js';
import { celErrorMessage, evaluateCel, toCel } from './cel.js';
import { KubeError, qualified } from './errors.js';
import type { KubeObject, ObjectStore } from './store.js';

const API = 'admissionregistration.k8s.io/v1';

interface Denial {
  policy: string;
  binding: string;
  message: string;
  reason?: string;
}

interface Expression {
  name?: string;
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}

/** HTTP code of a validation's reason, as the API server maps it. */
const CODE_BY_REASON: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

/** Throws the API server's refusal when a bound ValidatingAdmissionPolicy denies the request. */
export function enforcePolicies(store: ObjectStore, req: AdmissionRequest) {
  const policies = store.list(API, 'ValidatingAdmissionPolicy');
  if (policies.length === 0) return;
  const bindings = store.list(API, 'ValidatingAdmissionPolicyBinding');
  for (const policy of policies) {
    if (!requestMatches(policy.spec?.matchConstraints as MatchResources, req, true)) continue;
    for (const binding of bindings.filter((b) => b.spec?.policyName === policy.metadata.name)) {
      if (!requestMatches(binding.spec?.matchResources as MatchResources | undefined, req, false)) continue;
      const denial = evaluateBinding(store, policy, binding, req);
      if (denial) throw refusal(req, denial);
    }
  }
}

function evaluateBinding(
  store: ObjectStore,
  policy: KubeObject,
  binding: KubeObject,
  req: AdmissionRequest,
): Denial | undefined {
  const failClosed = (policy.spec?.failurePolicy ?? 'Fail') === 'Fail';
  const names = { policy: policy.metadata.name, binding: binding.metadata.name };
  const onError = (message: string): Denial | undefined => (failClosed ? { ...names, message } : undefined);
  const params = paramsOf(store, policy, binding, req);
  if (params === 'not found')
    return onError(
      'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
    );
  if (params === 'no paramRef') {
    const kind = (policy.spec?.paramKind as { kind?: string }).kind;
    return onError(
      `failed to configure binding: paramKind kind \`${kind}\` is specified but paramRef is nil`,
    );
  }
  // Warn and Audit record a failure without refusing; only Deny refuses.
  const denies = ((binding.spec?.validationActions as string[]) ?? []).includes('Deny');
  for (const param of params) {
    const context = celContext(req, param);
    const decision = evaluateExpressions(policy, context);
    // An evaluation error under Fail is a denial, which the binding's actions then decide on.
    if (decision.kind === 'error' && failClosed && denies) return { ...names, message: decision.message };
    if (decision.kind === 'denied' && denies) return { ...names, ...decision.denial };
  }
  return undefined;
}

type Decision =
  | { kind: 'admit' }
  | { kind: 'error'; message: string }
  | { kind: 'denied'; denial: { message: string; reason?: string } };

function evaluateExpressions(policy: KubeObject, context: Record<string, unknown>): Decision {
  let conditionError: string | undefined;
  for (const condition of (policy.spec?.matchConditions ?? []) as Expression[]) {
    let matched: unknown;
    try {
      matched = evaluateCel(condition.expression, context);
    } catch (e) {
      conditionError ??= `failed to evaluate matchCondition '${condition.name}': ${celErrorMessage(e)}`;
      continue;
    }
    if (matched === false) return { kind: 'admit' };
    if (matched !== true) conditionError ??= `matchCondition '${condition.name}' did not evaluate to a bool`;
  }
  if (conditionError) return { kind: 'error', message: conditionError };
  context.variables = lazyVariables((policy.spec?.variables ?? []) as Expression[], context);
  for (const validation of (policy.spec?.validations ?? []) as Expression[]) {
    let valid: unknown;
    try {
      valid = evaluateCel(validation.expression, context);
    } catch (e) {
      return {
        kind: 'error',
        message: `expression '${validation.expression}' resulted in error: ${celErrorMessage(e)}`,
      };
    }
    if (valid === true) continue;
    return { kind: 'denied', denial: { message: messageOf(validation, context), reason: validation.reason } };
  }
  return { kind: 'admit' };
}

/** `variables.NAME`, each evaluated when first read; an error is thrown where it is read. */
function lazyVariables(variables: Expression[], context: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const v of variables) {
    let value: { ok: unknown } | { error: unknown } | undefined;
    Object.defineProperty(out, v.name!, {
      enumerable: true,
      get() {
        if (!value) {
          try {
            value = { ok: evaluateCel(v.expression, context) };
          } catch (error) {
            value = { error };
          }
        }
        if ('error' in value) throw value.error;
        return value.ok;
      },
    });
  }
  return out;
}

function messageOf(validation: Expression, context: Record<string, unknown>): string {
  if (validation.messageExpression) {
    try {
      const message = evaluateCel(validation.messageExpression, context);
      if (typeof message === 'string' && message.trim() !== '' && !message.includes('\n')) return message;
    } catch {
      // The API server falls back to message when messageExpression fails.
    }
  }
  return validation.message ?? `failed expression: ${validation.expression.trim()}`;
}

/**
 * The param objects of a binding, as the API server's CollectParams finds them: [null] without
 * paramKind; none when missing and Allow ("treated as successful validation": the policy does not
 * run); 'not found' when missing and Deny; 'no paramRef' when the policy has paramKind and the
 * binding none (misconfigured). Both go to the failurePolicy.
 */
function paramsOf(
  store: ObjectStore,
  policy: KubeObject,
  binding: KubeObject,
  req: AdmissionRequest,
): (KubeObject | null)[] | 'not found' | 'no paramRef' {
  const kind = policy.spec?.paramKind as { apiVersion: string; kind: string } | undefined;
  const ref = binding.spec?.paramRef as
    { name?: string; namespace?: string; selector?: object; parameterNotFoundAction?: string } | undefined;
  if (!kind) return [null];
  if (!ref) return 'no paramRef';
  const namespace = ref.namespace ?? req.namespace;
  let found: KubeObject[] = [];
  try {
    if (ref.name) {
      const one = store.get(kind.apiVersion, kind.kind, namespace, ref.name);
      found = one ? [one] : [];
    } else {
      found = store
        .list(kind.apiVersion, kind.kind, namespace)
        .filter((o) => selectorMatches(ref.selector as never, o.metadata.labels));
    }
  } catch {
    found = []; // the param kind is not served
  }
  if (found.length > 0) return found;
  return ref.parameterNotFoundAction === 'Deny' ? 'not found' : [];
}

function celContext(req: AdmissionRequest, param: KubeObject | null): Record<string, unknown> {
  const { info } = req;
  const name = req.object?.metadata?.name ?? req.oldObject?.metadata?.name ?? '';
  return {
    object: toCel(req.operation === 'DELETE' ? null : req.object),
    oldObject: toCel(req.oldObject ?? null),
    params: toCel(param),
    namespaceObject: toCel(req.namespaceObject ?? null),
    request: toCel({
      kind: { group: info.group, version: info.version, kind: info.kind },
      resource: { group: info.group, version: info.version, resource: info.name },
      name,
      namespace: req.namespace ?? '',
      operation: req.operation,
      userInfo: { username: 'system:admin' },
      dryRun: false,
    }),
  };
}

/** `pods "x" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: …` */
function refusal(req: AdmissionRequest, denial: Denial): KubeError {
  const cause = `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`;
  const reason = denial.reason ?? 'Invalid';
  const name = req.object?.metadata?.name ?? '';
  return new KubeError(
    CODE_BY_REASON[reason] ?? 422,
    reason,
    `${qualified(req.info.name, req.info.group)} "${name}" is forbidden: ${cause}`,
    { name, group: req.info.group, kind: req.info.name, causes: [{ message: cause }] },
  );
}
