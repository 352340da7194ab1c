/**
 * A pod as a target: `pod/NAME[/CONTAINER]`, kubectl's spelling of a pod (`kubectl debug
 * pod/NAME`, with its aliases `pods/` and `po/`), plus the container in it. Pure.
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go):
 * a pod's name is a DNS-1123 subdomain (at most 253 characters of lower-case letters,
 * digits, '-' and '.', each dot-separated part starting and ending with a letter or digit);
 * a container's name is a DNS-1123 label (at most 63, no dots).
 */
import { SidekickError } from '../../core/errors.js';
import { isPodReference } from '../../core/reference.js';

export { isPodReference };

export interface PodReference {
  pod: string;
  /** The container named after the pod; undefined: the pod's default container. */
  container?: string;
}

const RESOURCE = /^(?:pods?|po)\//;
const LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

export function parsePodReference(reference: string): PodReference {
  const match = RESOURCE.exec(reference);
  if (match === null) throw usage(reference, 'it does not start with pod/');
  const [pod = '', container, ...rest] = reference.slice(match[0].length).split('/');
  if (rest.length > 0) throw usage(reference, 'it has more than pod/NAME/CONTAINER');
  if (!isSubdomain(pod)) throw usage(reference, `"${pod}" is not a pod name (lower-case letters, digits, '-' and '.')`);
  if (container === undefined) return { pod };
  if (!isLabel(container)) throw usage(reference, `"${container}" is not a container name (lower-case letters, digits and '-', at most 63)`);
  return { pod, container };
}

export function isLabel(name: string): boolean {
  return name.length <= 63 && LABEL.test(name);
}

export function isSubdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((part) => LABEL.test(part));
}

function usage(reference: string, why: string): SidekickError {
  return new SidekickError('BAD_USAGE', `${reference} is not a pod target: ${why}.`, {
    hint: 'Name a pod as pod/NAME or pod/NAME/CONTAINER, with -n NAMESPACE when it is not in the context\'s namespace.',
  });
}
