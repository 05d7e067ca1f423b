// Builds (or finds cached) every binary the integration tests use; CI calls this up front and
// prints each build's time.
import { ensurePromqlEvaluator } from './promql.ts';
import { ensureTool, TOOLS, toolVersion } from './tools.ts';

for (const tool of TOOLS) {
  const started = Date.now();
  const path = ensureTool(tool);
  console.log(
    `[test-env] ${tool} ${toolVersion(tool)}: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
const started = Date.now();
console.log(
  `[test-env] PromQL evaluator: ${ensurePromqlEvaluator()} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
