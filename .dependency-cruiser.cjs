/** Import rules of DESIGN.md §2, checked by `npm run depcheck` (part of `npm test`). */
module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "core-is-pure",
      comment: "core/** imports only core/**, zod and yaml (a pure parser: positions for PipelineIssue need it)",
      severity: "error",
      from: { path: "^src/core/" },
      to: { pathNot: ["^src/core/", "node_modules/zod/", "node_modules/yaml/"] },
    },
    {
      name: "protocol-imports-core-and-zod",
      severity: "error",
      from: { path: "^src/protocol/" },
      to: { pathNot: ["^src/core/", "^src/protocol/", "node_modules/zod/"] },
    },
    {
      name: "services-never-import-adapters",
      comment: "orchestrator, agents, healing, insights, deploy use ports, never adapters",
      severity: "error",
      from: { path: "^src/(orchestrator|agents|healing|insights|deploy)/", pathNot: "^src/[^/]+/adapters/" },
      to: { path: "^src/[^/]+/adapters/" },
    },
    {
      name: "agents-and-orchestrator-meet-only-at-protocol",
      severity: "error",
      from: { path: "^src/agents/" },
      to: { path: "^src/orchestrator/" },
    },
    {
      name: "orchestrator-never-imports-agents",
      severity: "error",
      from: { path: "^src/orchestrator/" },
      to: { path: "^src/agents/" },
    },
    {
      name: "only-composition-roots-import-app-and-cli",
      severity: "error",
      from: { path: "^src/(?!app/|cli/)" },
      to: { path: "^src/(app|cli)/" },
    },
    {
      name: "adapters-import-port-core-protocol-node-driver",
      severity: "error",
      from: { path: "^src/([^/]+)/adapters/" },
      to: { path: "^src/(orchestrator|agents|healing|insights|deploy|server|app|cli)/", pathNot: "^src/$1/" },
    },
    { name: "no-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js"] },
  },
};
