/**
 * Paths in a pipeline (working directories, report and artifact globs) are relative to the run's
 * workspace. Returns a message when `p` is absolute or climbs out with `..`, else null.
 */
export function checkWorkspacePath(p: string, what: string): string | null {
  if (p.trim() === "") return `${what} must not be empty`;
  if (p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p) || p.startsWith("~")) {
    return `${what} \`${p}\` is absolute: use a path relative to the workspace`;
  }
  let depth = 0;
  for (const seg of p.split(/[/\\]+/)) {
    if (seg === "..") depth--;
    else if (seg !== "." && seg !== "") depth++;
    if (depth < 0) return `${what} \`${p}\` escapes the workspace with \`..\`: keep it inside the workspace`;
  }
  return null;
}
