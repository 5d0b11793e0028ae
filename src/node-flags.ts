/**
 * V8 flags Herald runs with (`npm start`, the `herald` bin, the benchmarks). A young generation of
 * 8 MB semi-spaces keeps a long fan-out's RSS near its live heap instead of hundreds of MB of
 * not-yet-collected garbage, at no measurable cost to ingest (docs/benchmarks.md).
 */
export const HERALD_NODE_FLAGS = ['--max-semi-space-size=8'] as const;
