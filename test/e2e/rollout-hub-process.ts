/**
 * A hub replica in its own process, so a test can kill it abruptly (SIGKILL): the options
 * come as JSON in argv[2]; it prints `started` once running.
 */
import { createLogger } from '@netfleet/shared';
import { Hub, type HubOptions } from '../../hub/src/index.js';

const options = JSON.parse(process.argv[2]!) as Omit<HubOptions, 'logger'>;
const hub = new Hub({ ...options, logger: createLogger({ name: 'hub-process', level: process.env.NETFLEET_TEST_LOG ?? 'silent' }) });
await hub.start();
console.log('started');
