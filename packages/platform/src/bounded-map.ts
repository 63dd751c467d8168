/**
 * Sets `key` as the map's newest entry (a Map iterates in insertion order), dropping the oldest
 * past `max` entries: a bounded memory of what was used last.
 */
export function putNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
