// Builds (or finds cached) every binary the integration tests use; CI calls this up front.
import { ensurePromqlEvaluator } from './promql.ts';
import { ensureTool, TOOL_VERSIONS, type Tool } from './tools.ts';

for (const tool of Object.keys(TOOL_VERSIONS) as Tool[]) {
  const started = Date.now();
  const path = ensureTool(tool);
  console.log(
    `[test-env] ${tool} ${TOOL_VERSIONS[tool]}: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
const started = Date.now();
console.log(
  `[test-env] PromQL evaluator: ${ensurePromqlEvaluator()} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
