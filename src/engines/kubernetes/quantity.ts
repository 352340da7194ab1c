/**
 * Kubernetes resource quantities ("512Mi", "1.5", "250m", "1e3") as numbers. Pure.
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go):
 * a quantity is a signed decimal number followed by a suffix: binary Ki Mi Gi Ti Pi Ei
 * (powers of 1024), decimal n u m "" k M G T P E (powers of 1000), or a decimal exponent
 * e/E followed by an integer.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const SHAPE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity's value, or undefined when the text is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const match = SHAPE.exec(text.trim());
  if (match === null) return undefined;
  const [, number, exponent, suffix = ''] = match;
  const value = Number(number);
  if (exponent !== undefined) return value * 10 ** Number(exponent.slice(1));
  return value * (BINARY[suffix] ?? DECIMAL[suffix] ?? NaN);
}
