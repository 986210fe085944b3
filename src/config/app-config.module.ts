import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { type ConfigSliceClass, loadSlice, validateEnvironment } from './env.validation';

/** The environment after every slice passed validation. */
export class ValidatedEnvironment {
  constructor(readonly values: Record<string, unknown>) {}
}

/**
 * Validates every module's config slice once, at start-up (while Nest builds the
 * container, so a failure aborts creation), and provides each slice as an
 * injectable class: inject `RedisConfig`, not a string key.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(slices: readonly ConfigSliceClass[]): DynamicModule {
    const sliceProviders = slices.map((slice) => ({
      provide: slice,
      inject: [ValidatedEnvironment],
      useFactory: (env: ValidatedEnvironment) => loadSlice(slice, env.values),
    }));
    return {
      module: AppConfigModule,
      // .env is loaded into process.env by the entrypoint (bootstrap/run.ts) before this runs.
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true })],
      providers: [
        {
          provide: ValidatedEnvironment,
          useFactory: () => {
            validateEnvironment(process.env, slices);
            return new ValidatedEnvironment({ ...process.env });
          },
        },
        ...sliceProviders,
      ],
      exports: [ValidatedEnvironment, ...slices],
    };
  }
}
