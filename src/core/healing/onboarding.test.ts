import { describe, expect, it } from "vitest";
import { AppSpecSchema, CREDENTIALS_MESSAGE, nameProblem, onboardingRefusal, parseRepo, PROD_ONBOARDING_REFUSAL, validateOnboarding } from "./onboarding.js";

const good = { name: "shop-api", repo: "https://github.com/acme/shop.git", runtime: "node", env: "stage" };

function problemsOf(input: Partial<typeof good> & { pipeline?: string }): { field: string; message: string }[] {
  const r = validateOnboarding({ ...good, ...input });
  return r.ok ? [] : r.problems;
}

describe("app names", () => {
  it.each(["ab", "shop-api", "a1", "0day", "x".repeat(40), "a--b"])("accepts %j", (n) => expect(nameProblem(n)).toBeNull());

  it.each(["a", "x".repeat(41), "-shop", "shop-", "Shop", "shop_api", "shop api", "shop.api", "../etc", "", "shöp"])("refuses %j", (n) => {
    expect(nameProblem(n)).toMatch(/not a valid app name: use 2–40 lowercase letters, digits and dashes/);
  });

  it("suggests the lowercase form when that is all that is wrong", () => {
    expect(nameProblem("ShopApi")).toContain("did you mean `shopapi`?");
    expect(nameProblem("Shop_Api")).not.toContain("did you mean");
  });
});

describe("repository references", () => {
  it.each([
    ["https://github.com/acme/shop.git", "https"],
    ["https://git.example.com:8443/group/sub/shop", "https"],
    ["ssh://git@github.com/acme/shop.git", "ssh"],
    ["ssh://git.example.com:2222/acme/shop.git", "ssh"],
    ["git@github.com:acme/shop.git", "scp"],
    ["/srv/git/shop", "local"],
    ["./shop", "local"],
    ["shop", "local"],
  ])("accepts %j as %s", (url, kind) => {
    expect(parseRepo(url)).toEqual({ ok: true, repo: { kind, url } });
  });

  it.each([
    ["file:///etc/passwd", /file:\/\/ URLs are refused: give the plain path/],
    ["FILE:///srv/git/shop", /file:\/\/ URLs are refused/],
    ["ext::sh -c touch% /tmp/pwned", /transport::address.*can run commands/],
    ["ext::ssh", /transport::address/],
    ["fd::17", /transport::address/],
    ["http://github.com/acme/shop.git", /http:\/\/ URLs are not accepted: use https/],
    ["git://github.com/acme/shop.git", /git:\/\/ URLs are not accepted/],
    ["HTTPS://github.com/acme/shop", /lowercase/],
    ["https://github.com/acme/shop.git; rm -rf ~", /shell metacharacters/],
    ["https://github.com/acme/$(id)", /shell metacharacters/],
    ["https://github.com/acme/`id`", /shell metacharacters/],
    ["/srv/git/shop|cat", /shell metacharacters/],
    ["/srv/git/shop&&x", /shell metacharacters/],
    ["/srv/git/sh>op", /shell metacharacters/],
    ["/srv/git/{a,b}", /shell metacharacters/],
    ["/srv/git/shop!", /shell metacharacters/],
    ["/srv/git/sh*p", /shell metacharacters/],
    ["/srv/git/sh?p", /shell metacharacters/],
    ["/srv/git/'shop'", /shell metacharacters/],
    ['/srv/git/"shop"', /shell metacharacters/],
    ["/srv/git/shop\nrm -rf /", /shell metacharacters/],
    ["/srv/my repo", /spaces/],
    ["/srv/git/shop\u0000", /shell metacharacters/],
    ["../../etc", /`\.\.` segments are refused/],
    ["/srv/git/../../etc", /`\.\.` segments are refused/],
    ["https://github.com/acme/../../x", /must not contain `\.\.` segments/],
    ["git@github.com:../../x.git", /must not contain `\.\.` segments/],
    ["-uupload-pack=touch", /starts with `-`.*option/],
    ["--upload-pack=x", /starts with `-`/],
    ["git@-oProxyCommand=x:acme/shop", /is not a host name/],
    ["https://user:secret@github.com/acme/shop.git", new RegExp(CREDENTIALS_MESSAGE)],
    ["https://ghp_token@github.com/acme/shop.git", new RegExp(CREDENTIALS_MESSAGE)],
    ["ssh://git:secret@github.com/acme/shop.git", new RegExp(CREDENTIALS_MESSAGE)],
    ["https://github.com", /repository path is missing/],
    ["https://github.com/acme/sh%2e%2e", /characters a repository path does not need/],
    ["github.com:acme/shop", /must not contain `:`/],
    ["~/shop", /`~` is not expanded/],
    ["", /give the repository/],
  ])("refuses %j", (url, message) => {
    const r = parseRepo(url);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.message).toMatch(message);
  });
});

describe("validateOnboarding", () => {
  it("returns the request with the default pipeline file", () => {
    expect(validateOnboarding(good)).toEqual({
      ok: true,
      request: { name: "shop-api", repo: { kind: "https", url: good.repo }, runtime: "node", environment: "stage", pipeline: "pipeline.yml" },
    });
  });

  it("keeps a pipeline file inside the repository", () => {
    const r = validateOnboarding({ ...good, pipeline: "ci/pipeline.yml" });
    expect(r.ok && r.request.pipeline).toBe("ci/pipeline.yml");
  });

  it.each(["/etc/passwd", "../outside.yml", "ci/../../x.yml", "-x.yml", "a b.yml", "p$.yml"])("refuses --pipeline %j", (pipeline) => {
    expect(problemsOf({ pipeline }).map((p) => p.field)).toEqual(["pipeline"]);
  });

  it("names runtime and env with a did-you-mean", () => {
    expect(problemsOf({ runtime: "nodejs" })).toEqual([{ field: "runtime", message: '--runtime "nodejs" is not one of node, python, static: did you mean `node`?' }]);
    expect(problemsOf({ runtime: "pyhton" })[0]!.message).toContain("did you mean `python`?");
    expect(problemsOf({ runtime: "ruby" })[0]!.message).toBe('--runtime "ruby" is not one of node, python, static: valid: `node`, `python`, `static`');
    expect(problemsOf({ env: "staging" })).toEqual([{ field: "env", message: '--env "staging" is not one of dev, stage, prod: did you mean `stage`?' }]);
    expect(problemsOf({ env: "production" })[0]!.message).toContain("did you mean `prod`?");
    expect(problemsOf({ env: "stgae" })[0]!.message).toContain("did you mean `stage`?");
    expect(problemsOf({ env: "Stage" })[0]!.field).toBe("env");
  });

  it("reports every problem at once, each naming its field", () => {
    const problems = problemsOf({ name: "Bad Name", repo: "file:///x", runtime: "java", env: "qa" });
    expect(problems.map((p) => p.field)).toEqual(["name", "repo", "runtime", "env"]);
    expect(problems[1]!.message).toMatch(/^--repo: file:\/\//);
  });
});

describe("onboarding safety policy", () => {
  it("refuses prod with the reason and allows dev and stage", () => {
    expect(onboardingRefusal("prod")).toBe(PROD_ONBOARDING_REFUSAL);
    expect(PROD_ONBOARDING_REFUSAL).toBe("prod onboarding is refused by the safety policy: onboard to stage, let it pass, then promote");
    expect(onboardingRefusal("stage")).toBeNull();
    expect(onboardingRefusal("dev")).toBeNull();
  });
});

describe("AppSpecSchema", () => {
  const spec = { name: "shop-api", repo: "/srv/git/shop", runtime: "node", environment: "stage", pipeline: "pipeline.yml", createdAt: "2024-05-01T10:00:00.000Z", workspace: "/srv/git/shop" };
  it("accepts a spec and refuses unknown keys or values", () => {
    expect(AppSpecSchema.parse(spec)).toEqual(spec);
    expect(AppSpecSchema.safeParse({ ...spec, extra: 1 }).success).toBe(false);
    expect(AppSpecSchema.safeParse({ ...spec, runtime: "ruby" }).success).toBe(false);
  });
});
