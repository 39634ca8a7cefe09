export { Reporter, type ReporterOptions, type ReporterStats, type HeartbeatSummary } from './reporter.js';
export { Spool } from './spool.js';
export { SeqStore } from './seq-store.js';
export { register, loadCredentials, saveCredentials, RegistrationError, type RegisterOptions } from './registration.js';
export { reportAgentEvents, syncBodyOf, readinessOf } from './agent-events.js';
export { connectToHub, type HubConnectionOptions } from './connect.js';
