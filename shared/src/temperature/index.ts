export * from './cumulative.js';
export * from './exposure.js';
export * from './limits.js';
export * from './merge.js';
export * from './mkt.js';
export * from './sample.js';
export * from './series.js';
