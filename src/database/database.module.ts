import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import { MongoConfig } from './mongo.config';
import { MongoHealthIndicator } from './mongo.health';

/** The MongoDB connection (via @nestjs/mongoose) and its readiness indicator. */
@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [MongoConfig],
      useFactory: (config: MongoConfig) => ({
        uri: config.MONGODB_URI,
        dbName: config.MONGODB_DATABASE,
        // Bounded waits (docs/operations.md#timeouts): an unreachable or hung MongoDB fails the operation, and
        // the request answers 503 database-unavailable, instead of holding the request open.
        serverSelectionTimeoutMS: config.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS: config.MONGODB_CONNECT_TIMEOUT_MS,
        socketTimeoutMS: config.MONGODB_SOCKET_TIMEOUT_MS,
        readPreference: config.MONGODB_READ_PREFERENCE as 'primaryPreferred',
        // Fail fast on start-up instead of buffering queries while MongoDB is unreachable.
        bufferCommands: false,
        autoIndex: true,
      }),
    }),
    TerminusModule,
  ],
  providers: [MongoHealthIndicator],
  exports: [MongoHealthIndicator],
})
export class DatabaseModule {}
