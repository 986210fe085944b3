import { Transform } from 'class-transformer';

/** Parses an integer variable; anything that is not a plain integer becomes NaN and fails @IsInt. */
export const ToInt = (): PropertyDecorator =>
  Transform(({ value }) => (typeof value === 'string' ? (/^-?\d+$/.test(value.trim()) ? Number(value) : NaN) : value));

/** Parses true/false/1/0; other strings are kept so @IsBoolean reports them. */
export const ToBool = (): PropertyDecorator =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return value;
  });

/** Splits a comma-separated list, dropping blanks. */
export const ToList = (): PropertyDecorator =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  );
