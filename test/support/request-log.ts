import { getConnectionToken } from '@nestjs/mongoose';
import type { INestApplication } from '@nestjs/common';
import type { Connection } from 'mongoose';

/**
 * How many request-log records the app's database holds: `audit_logs` stores one document per client per flush
 * with its records as JSON text (src/request-log/request-log.schema.ts), so documents are not records.
 */
export async function requestLogRecordCount(app: INestApplication): Promise<number> {
  const logs = app.get<Connection>(getConnectionToken()).collection('audit_logs');
  let count = 0;
  for await (const doc of logs.find({}, { projection: { records: 1 } })) {
    count += typeof doc.records === 'string' ? (JSON.parse(doc.records) as unknown[]).length : 1;
  }
  return count;
}
