import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { UploadJobRecord, UploadKind } from './upload-job.schema';
import { REPLACE_FIELD_NAMES, ReplaceFieldsDto, UPLOAD_FIELD_NAMES, UploadFieldsDto } from './uploads.dto';

/**
 * What an accepted file is for: a new photo (POST /v1/users/:user_id/uploads) or new bytes for the user's
 * photo `photoId` (POST /v1/users/:user_id/photos/:photo_id/replace). Both go through the same intake, caps,
 * idempotency, lanes and worker; these are the only rules that differ.
 */
export type UploadTarget = { kind: 'upload' } | { kind: 'replace'; photoId: string };

export const NEW_PHOTO: UploadTarget = { kind: 'upload' };

/** Form field names the intake accepts besides the file `photo`. */
export function formFieldsOf(target: UploadTarget): readonly string[] {
  return target.kind === 'replace' ? REPLACE_FIELD_NAMES : UPLOAD_FIELD_NAMES;
}

/** The form fields' validation errors (empty when valid). */
export function fieldErrors(target: UploadTarget, fields: Record<string, string>): string[] {
  const dto = plainToInstance(target.kind === 'replace' ? ReplaceFieldsDto : UploadFieldsDto, fields);
  return validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));
}

/**
 * What the target adds to an Idempotency-Key fingerprint: nothing for an upload (so fingerprints claimed before
 * replacements existed still match their retries), the kind and photo id for a replacement (so the same key
 * for another photo, or for an upload, is a different request: 422).
 */
export function fingerprintParts(target: UploadTarget): string[] {
  return target.kind === 'replace' ? [target.kind, target.photoId] : [];
}

/** The job record's fields that say what the job is for. */
export function jobTargetFields(target: UploadTarget): Pick<UploadJobRecord, 'kind' | 'photo_id'> {
  return target.kind === 'replace' ? { kind: 'replace', photo_id: target.photoId } : { kind: 'upload', photo_id: null };
}

/** The kind of a stored job (records written before replacements existed are uploads). */
export function kindOf(record: Pick<UploadJobRecord, 'kind'>): UploadKind {
  return record.kind ?? 'upload';
}
