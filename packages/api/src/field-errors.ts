import type { FieldError } from './errors';

/**
 * Collects field errors with Kubernetes wording. Validation functions take one and a
 * path, push what is wrong and never throw, so one pass reports every problem.
 */
export class FieldErrors {
  readonly list: FieldError[] = [];

  required(field: string, detail?: string): void {
    this.list.push(detail ? { field, type: 'Required value', detail } : { field, type: 'Required value' });
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.list.push({ field, type: 'Invalid value', value, detail });
  }

  unsupported(field: string, value: unknown, supported: readonly string[]): void {
    this.list.push({
      field,
      type: 'Unsupported value',
      value,
      detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
    });
  }

  duplicate(field: string, value: unknown): void {
    this.list.push({ field, type: 'Duplicate value', value });
  }

  notFound(field: string, value: unknown): void {
    this.list.push({ field, type: 'Not found', value });
  }

  forbidden(field: string, detail: string): void {
    this.list.push({ field, type: 'Forbidden', detail });
  }

  /** Records the problems a name check returned (if any) as one Invalid value. */
  check(field: string, value: string, problems: readonly string[]): void {
    if (problems.length > 0) this.invalid(field, value, problems.join(', '));
  }

  /** value must be in allowed; empty is accepted when the field has a default. */
  oneOf(field: string, value: string, allowed: readonly string[], emptyOk: boolean): void {
    if (value === '' && emptyOk) return;
    if (value === '') this.required(field);
    else if (!allowed.includes(value)) this.unsupported(field, value, allowed);
  }

  nonNegative(field: string, value: number | undefined): void {
    if (value !== undefined && value < 0) this.invalid(field, value, 'must be greater than or equal to 0');
  }
}
