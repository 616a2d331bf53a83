// A Map used as a cache of at most `size` entries: the oldest entry goes to make room.

/** Sets `key` in `cache`, first dropping its oldest entry when it holds `size` already. */
export function remember<K, V>(cache: Map<K, V>, key: K, value: V, size: number): V {
  if (cache.size >= size) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
