export { Reporter, type ReporterOptions, type ReporterStats, type HeartbeatSummary } from './reporter.js';
export { Spool } from './spool.js';
export { SeqStore } from './seq-store.js';
export { register, requestCredentials, loadCredentials, saveCredentials, credentialsText, parseCredentials, RegistrationError, type RegisterOptions, type RegistrationOptions } from './registration.js';
export { reportAgentEvents, syncBodyOf, readinessOf } from './agent-events.js';
export { connectToHub, type HubConnectionOptions } from './connect.js';
