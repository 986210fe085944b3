import { getConnectionToken } from '@nestjs/mongoose';
import type { INestApplication } from '@nestjs/common';
import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import { decodeRecords } from '../../src/request-log/request-log.repository';

/**
 * Request-log records in an `audit_logs` collection, optionally only a route's: a batch counts its `records`
 * (src/request-log/request-log.schema.ts), a document of the earlier format counts itself. Documents are not records.
 * Also used by bench/run.js.
 */
export async function countRequestLogRecords(logs: Collection, route?: string): Promise<number> {
  let count = 0;
  for await (const doc of logs.find({}, { projection: { records: 1, route: 1 } })) {
    const records: Array<{ route?: unknown }> = typeof doc.records === 'string' ? decodeRecords(doc.records) : [{ route: doc.route }];
    count += route === undefined ? records.length : records.filter((r) => r.route === route).length;
  }
  return count;
}

/** How many request-log records the app's database holds. */
export function requestLogRecordCount(app: INestApplication): Promise<number> {
  return countRequestLogRecords(app.get<Connection>(getConnectionToken()).db!.collection('audit_logs'));
}
