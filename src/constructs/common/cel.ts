// CEL literals for the ValidatingAdmissionPolicies the constructs render.

/** A CEL string literal. */
export function cel(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A CEL list of string literals. */
export function celList(values: readonly string[]): string {
  return `[${values.map(cel).join(', ')}]`;
}
