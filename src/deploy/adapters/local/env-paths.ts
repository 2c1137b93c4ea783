import path from "node:path";
import type { DeployEnvironment } from "../../port.js";

/** Where one environment of the local target keeps its files: `<dataDir>/deploy/<env>/`. */
export interface EnvPaths {
  root: string;
  /** The supervisor's state (single writer: the supervisor while it runs). */
  state: string;
  /** Held by the running supervisor: at most one per environment. */
  lock: string;
  /** The supervisor's own log (start-up errors, operations). */
  supervisorLog: string;
  releases: string;
  /** Symlink to the live release's directory (`releases/<id>`). */
  current: string;
  /** Worker output, one file per worker process. */
  logs: string;
  releaseDir(id: string): string;
  /** What the supervisor needs to start a release again (start command, env, health); mode 0600. */
  releaseMeta(id: string): string;
}

export function envPaths(dataDir: string, environment: DeployEnvironment): EnvPaths {
  const root = path.join(path.resolve(dataDir), "deploy", environment);
  const releases = path.join(root, "releases");
  return {
    root,
    state: path.join(root, "state.json"),
    lock: path.join(root, "supervisor.lock"),
    supervisorLog: path.join(root, "supervisor.log"),
    releases,
    current: path.join(root, "current"),
    logs: path.join(root, "logs"),
    releaseDir: (id) => path.join(releases, id),
    releaseMeta: (id) => path.join(releases, `${id}.release.json`),
  };
}
