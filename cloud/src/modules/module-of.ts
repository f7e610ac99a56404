import type { CloudModule } from './cloud-module.js';

/** A module from its start and stop functions (most of the cloud's parts are one call each way). */
export function moduleOf(
  name: string,
  required: boolean,
  start: () => Promise<void> | void,
  stop: () => Promise<void> | void,
): CloudModule {
  return {
    name,
    required,
    start: async () => {
      await start();
    },
    stop: async () => {
      await stop();
    },
  };
}
