import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * A typed slice of the environment owned by one module. Its properties are the
 * variable names, decorated with class-validator rules and defaults.
 */
export interface ConfigSlice {
  /** Extra rules that only apply with NODE_ENV=production (no insecure defaults). */
  productionProblems?(raw: Record<string, unknown>): string[];
}

export type ConfigSliceClass<T extends ConfigSlice = ConfigSlice> = new () => T;

/** Thrown at start-up when any variable is missing or malformed; names every offender. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Builds one slice from raw variables; empty strings count as unset so defaults apply. */
export function loadSlice<T extends ConfigSlice>(slice: ConfigSliceClass<T>, raw: Record<string, unknown>): T {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
  return plainToInstance(slice, present, { exposeDefaultValues: true });
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? { invalid: 'is invalid' }).join('; ')}`);
}

/**
 * Validates every slice against the environment and collects all problems, so
 * an operator fixes a broken deployment in one pass instead of one variable at a time.
 */
export function validateEnvironment(
  raw: Record<string, unknown>,
  slices: readonly ConfigSliceClass[],
): Record<string, unknown> {
  const problems: string[] = [];
  const production = raw.NODE_ENV === 'production';
  const validated: Record<string, unknown> = { ...raw };
  for (const slice of slices) {
    const instance = loadSlice(slice, raw);
    problems.push(...describe(validateSync(instance as object, { forbidUnknownValues: false })));
    if (production && instance.productionProblems) problems.push(...instance.productionProblems(raw));
    Object.assign(validated, instance);
  }
  if (problems.length > 0) throw new ConfigValidationError([...new Set(problems)]);
  return validated;
}
