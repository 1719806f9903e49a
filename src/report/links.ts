// Where a finding code's documentation page lives, as a URL that works on any machine: the
// published docs/findings/<CODE>.md of this package's repository at the tag of this version
// (https://github.com/netsleuth/netsleuth/blob/v0.1.0/docs/findings/RISKY_EXPOSURE.md), or the
// operator's own mirror from NETSLEUTH_DOCS_URL. Never a local path: a SARIF file or a Markdown
// comment is read on another machine than the one that wrote it.
//
// Pure: the caller passes the package facts (commands: this.config.pjson) and the environment.

import { InputError } from '../model/errors.js';

/** The package.json fields links are built from. */
export interface PackageFacts {
  version?: string;
  homepage?: string;
  repository?: string | { type?: string; url?: string; directory?: string };
}

/** A function from a finding code to the URL of its page. */
export type DocUrl = (code: string) => string | null;

/** `https://host/owner/repo` for the repository forms npm accepts, or null. */
export function repositoryWebUrl(repo: PackageFacts['repository']): string | null {
  const raw = (typeof repo === 'string' ? repo : repo?.url)?.trim();
  if (!raw) return null;
  // npm shorthands: "owner/repo", "github:owner/repo", "gitlab:owner/repo", "bitbucket:owner/repo"
  const short = /^(?:(github|gitlab|bitbucket):)?([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(raw);
  if (short) return `https://${short[1] === 'gitlab' ? 'gitlab.com' : short[1] === 'bitbucket' ? 'bitbucket.org' : 'github.com'}/${short[2]}/${short[3]}`;
  // git@host:owner/repo.git
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(?:\.git)?\/?$/.exec(raw);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  try {
    const u = new URL(raw.replace(/^git\+/, ''));
    if (!['https:', 'http:', 'git:', 'ssh:'].includes(u.protocol)) return null;
    return `https://${u.hostname}${u.pathname.replace(/\.git$/, '').replace(/\/$/, '')}`;
  } catch {
    return null;
  }
}

/** The git ref a version's docs are published at: the tag `v<version>` of a release, else the default branch. */
function refFor(version: string | undefined): string {
  return version && /^\d+\.\d+\.\d+(?:[-+][\w.+-]*)?$/.test(version) ? `v${version}` : 'HEAD';
}

/**
 * The URL template of finding pages (`{code}` marks the code): NETSLEUTH_DOCS_URL when set (a
 * base URL, `{code}` optional: without it `<base>/<CODE>.md`), else the repository's file view at
 * this version's tag, else the homepage's site. null when the package says nothing usable.
 */
export function docsTemplate(pkg: PackageFacts, env: Record<string, string | undefined> = {}): string | null {
  const override = env.NETSLEUTH_DOCS_URL?.trim();
  if (override) {
    let u: URL;
    try {
      u = new URL(override.replace(/\{code\}/g, 'CODE'));
    } catch {
      throw new InputError(`NETSLEUTH_DOCS_URL is not a URL: ${override}`, 'set it to an http(s) base URL, e.g. https://docs.example.com/netsleuth/findings/ or …/{code}.html');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new InputError(`NETSLEUTH_DOCS_URL must be an http(s) URL, not ${u.protocol}`, 'reports are read on other machines: a local path would not open there');
    if (override.includes('{code}')) return override;
    return `${override.endsWith('/') ? override : `${override}/`}{code}.md`;
  }
  const repo = repositoryWebUrl(pkg.repository);
  const path = 'docs/findings/{code}.md';
  if (repo) {
    const ref = refFor(pkg.version);
    const host = new URL(repo).hostname;
    if (host === 'gitlab.com') return `${repo}/-/blob/${ref}/${path}`;
    if (host === 'bitbucket.org') return `${repo}/src/${ref}/${path}`;
    return `${repo}/blob/${ref}/${path}`;
  }
  if (pkg.homepage && /^https?:\/\//.test(pkg.homepage)) {
    const home = pkg.homepage.replace(/#.*$/, '');
    return `${home.endsWith('/') ? home : `${home}/`}${path}`;
  }
  return null;
}

/** The URL of `code`'s page under a template from docsTemplate. */
export function findingDocUrl(code: string, template: string): string {
  return template.replace(/\{code\}/g, encodeURIComponent(code));
}

/**
 * The one link builder every findings renderer uses (SARIF helpUri, Markdown, JUnit, the terminal's
 * `docs:` line). Throws InputError for a NETSLEUTH_DOCS_URL that is not an http(s) URL. Returns
 * null for every code when the package names no repository or homepage (a repackaged build):
 * renderers then leave the link out rather than invent one.
 */
export function docLinker(pkg: PackageFacts, env: Record<string, string | undefined> = {}): DocUrl {
  const t = docsTemplate(pkg, env);
  return (code) => (t ? findingDocUrl(code, t) : null);
}
