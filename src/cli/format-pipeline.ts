import { pipelineJsonSchema } from "../core/pipeline/load-pipeline.js";
export { formatIssue } from "../core/pipeline/plan.js";

export function pipelineJsonSchemaText(): string {
  return JSON.stringify(pipelineJsonSchema(), null, 2);
}
