// Whether a host is this machine only: the dashboard needs no token there, a model server there no API key.

/** `localhost`, `::1` (also bracketed, as in a URL) or any 127.x.y.z address. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
