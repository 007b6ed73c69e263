/** An absolute http: or https: URL (what agents, endpoints and supervisors are reached at). */
export function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);
}

/** The port a URL points at, written or implied by its scheme. */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
}
