import type { Logger } from "../core/logger.js";
import type { KindHandler } from "../agents/run-job.js";
import type { StageDeps } from "../agents/stage-deps.js";
import { createShellHandler } from "../agents/shell.js";
import { createLintHandler } from "../agents/lint/create-lint-handler.js";
import { createTestHandler } from "../agents/test/create-test-handler.js";
import { createBuildHandler } from "../agents/build/create-build-handler.js";
import { createSecurityHandler } from "../agents/security/create-security-handler.js";
import { createDeployHandler } from "../agents/deploy/create-deploy-handler.js";
import { createReportHandler } from "../agents/report/create-report-handler.js";
import { createLocalArtifactStore } from "../artifacts/adapters/local.js";
import { createDeployTarget } from "../deploy/adapters/create-deploy-target.js";
import { createSlackNotifier } from "../notify/adapters/slack.js";
import { createWebhookNotifier } from "../notify/adapters/webhook.js";
import type { Notifier } from "../notify/port.js";

/**
 * Every stage kind a local agent serves, with the adapters each one uses: the artifact store and
 * deploy state live in the data directory; notifications go to Slack or a JSON webhook.
 */
export function createStageHandlers(o: {
  dataDir: string;
  log: Logger;
  now: () => number;
  agentEnv: Readonly<Record<string, string | undefined>>;
}): Record<string, KindHandler> {
  const deps: StageDeps = { dataDir: o.dataDir, log: o.log, now: o.now, agentEnv: o.agentEnv };
  const artifacts = createLocalArtifactStore({ dataDir: o.dataDir });
  return {
    shell: createShellHandler({ ...deps, artifacts }),
    lint: createLintHandler(deps),
    test: createTestHandler(deps),
    build: createBuildHandler({ ...deps, artifacts }),
    security: createSecurityHandler({ ...deps, ...(o.agentEnv.PITSTOP_ADVISORY_REGISTRY ? { advisoryRegistry: o.agentEnv.PITSTOP_ADVISORY_REGISTRY } : {}) }),
    deploy: createDeployHandler({
      ...deps,
      targets: (environment, settings) => createDeployTarget({ dataDir: o.dataDir, environment, settings, env: o.agentEnv }),
    }),
    report: createReportHandler({
      ...deps,
      notifiers: (t) => {
        const list: Notifier[] = [];
        if (t.slack) list.push(createSlackNotifier({ url: t.slack.url, timeoutMs: t.timeoutMs }));
        if (t.webhook) list.push(createWebhookNotifier({ url: t.webhook.url, secret: t.webhook.secret, timeoutMs: t.timeoutMs }));
        return list;
      },
    }),
  };
}
