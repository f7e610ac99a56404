// The cloud's public entry point: what other workspaces (scenario, journeys, bench) may use.

export { Activity } from './activity.js';
export { createDemoUser } from './auth/demo-users.js';
export { UserStore } from './auth/user-store.js';
export { type Cloud, startCloud } from './cloud.js';
export { type CloudConfigInput, cloudConfigSchema, loadCloudConfig } from './config.js';
export { EPOCH_SEQ_SPAN } from './domain/ingest/epochs.js';
export { lockSubject } from './domain/locks/lock-subject.js';
export { registerGateway } from './gateways/register-gateway.js';
export { pdfText } from './reports/pdf-text.js';
export { CloudStore } from './store/cloud-store.js';
export { openDatabase } from './store/db.js';
export { monthIndexOf } from './store/partition-months.js';
export { listExcursions } from './store/queries/list-excursions.js';
export { maintainReadingPartitions } from './store/reading-partitions.js';
