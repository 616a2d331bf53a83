// Data that follows the run: fetched at once, then again whenever new events arrive
// (`tick` changes), but never more often than the server can comfortably answer:
// the pause grows with how long the last answer took (a 100,000-candidate run).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

export function useLive<T>(path: string, query: Record<string, string | number | undefined>, tick: number): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const key = `${path}?${JSON.stringify(query)}`;
  const last = useRef({ key: '', at: 0, took: 0, timer: 0 as unknown as ReturnType<typeof setTimeout> | 0 });
  useEffect(() => {
    const l = last.current;
    const load = () => {
      l.timer = 0;
      const started = performance.now();
      l.at = started;
      api<T>(path, query).then(
        (data) => {
          l.took = performance.now() - started;
          if (l.key === key) setState({ data });
        },
        (err: Error) => l.key === key && setState((s) => ({ ...s, error: err.message })),
      );
    };
    if (l.key !== key) {
      l.key = key;
      if (l.timer) clearTimeout(l.timer);
      load();
      return;
    }
    if (l.timer) return;
    const wait = Math.max(0, Math.max(500, l.took * 5) - (performance.now() - l.at));
    l.timer = setTimeout(load, wait);
  }, [key, tick]);
  useEffect(() => () => void (last.current.timer && clearTimeout(last.current.timer)), []);
  return state;
}
