import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';
import { Counter, register } from 'prom-client';
import { MongoConfig } from './mongo.config';

const COMMANDS = 'mongodb_commands_total';

/** One counter per registry (tests build several apps in one process). */
function commandCounter(): Counter<'command'> {
  return (register.getSingleMetric(COMMANDS) as Counter<'command'> | undefined) ??
    new Counter({ name: COMMANDS, help: 'Commands sent to MongoDB, by command name', labelNames: ['command'] });
}
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
        // Command monitoring feeds mongodb_commands_total (what each request class costs in round trips).
        monitorCommands: true,
        connectionFactory: (connection: Connection) => {
          const commands = commandCounter();
          connection.getClient().on('commandStarted', (event: CommandStartedEvent) => commands.inc({ command: event.commandName }));
          return connection;
        },
      }),
    }),
    TerminusModule,
  ],
  providers: [MongoHealthIndicator],
  exports: [MongoHealthIndicator],
})
export class DatabaseModule {}
