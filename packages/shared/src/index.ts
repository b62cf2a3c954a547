export * from './spec/index.js';
export * from './render/index.js';
