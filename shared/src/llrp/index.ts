// LLRP 1.0.1 as bytes: message and parameter codec, framing, the messages both ends build and the tag
// report decoder. Pure (no I/O): the gateway's reader connector and the reader simulator share it.
export * from './capabilities.js';
export * from './codec.js';
export * from './constants.js';
export * from './framer.js';
export * from './impinj.js';
export * from './messages.js';
export * from './schema.js';
export * from './status.js';
export * from './tag-report.js';
