// vitest globalSetup of the `contract` project: the real OpenStack (Keystone, Neutron, Glance,
// Placement, Nova with the fake driver, a private RabbitMQ) up once per run, seeded from the
// contract fixture, handed to the tests with `inject('openstackReal')`. Teardown stops the
// services and keeps the packages, databases and keys, so the next run starts warm. When it
// cannot be had, the setup throws and every contract test fails with the reason.
import type { TestProject } from 'vitest/node';
import { seedFixture, type IdMapping } from '../../src/dev/openstack-real/seed.js';
import {
  instanceDir,
  stopRealOpenStack,
  upRealOpenStack,
  type RunState,
} from '../../src/dev/openstack-real/services.js';
import { killNow } from '../../src/dev/state.js';
import { contractFixture } from '../contract/fixture.js';

export interface RealOpenStackEnv {
  run: RunState;
  stateDir: string;
  mapping: IdMapping;
  /** Database of the instance's Neutron (port status is only writable there). */
  mariadbUrl: string | undefined;
  bringUpSeconds: number;
  fresh: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    openstackReal: RealOpenStackEnv;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // A second checkout running its tests at the same time picks another instance name.
  const instance = process.env['MULTINIC_OPENSTACK_INSTANCE'] ?? 'test';
  const stateDir = process.env['MULTINIC_OPENSTACK_STATE'] ?? instanceDir(instance);
  const log = (line: string): void => console.log(line);
  let run: RunState;
  try {
    ({ run } = await upRealOpenStack({ instance, stateDir, log }));
  } catch (error) {
    throw new Error(
      `contract global setup: the real OpenStack did not come up (logs in ${stateDir}/log): ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
  const killOnExit = (): void => killNow(run.services);
  process.on('exit', killOnExit);
  try {
    const seed = await seedFixture(run, stateDir, contractFixture(), { log });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `contract: real OpenStack ready in ${seconds.toFixed(1)}s (${run.bringUp.fresh ? 'fresh' : 'warm'}; ` +
        `services ${run.bringUp.totalSeconds.toFixed(1)}s, seeding ${seed.seeded ? `${seed.seconds.toFixed(1)}s` : 'kept'})`,
    );
    project.provide('openstackReal', {
      run,
      stateDir,
      mapping: seed.mapping,
      mariadbUrl: process.env['MULTINIC_MARIADB_URL'],
      bringUpSeconds: seconds,
      fresh: run.bringUp.fresh,
    });
  } catch (error) {
    await stopRealOpenStack(stateDir);
    process.off('exit', killOnExit);
    throw new Error(
      `contract global setup: seeding the real OpenStack failed (logs in ${stateDir}/log): ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
  return async () => {
    process.off('exit', killOnExit);
    const t0 = Date.now();
    await stopRealOpenStack(stateDir);
    console.log(
      `contract: real OpenStack stopped in ${((Date.now() - t0) / 1000).toFixed(1)}s (kept warm in ${stateDir})`,
    );
  };
}
