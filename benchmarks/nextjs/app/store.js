// The saved name, in the server process's memory (the Flask side commits to SQLite).
export function getStore() {
  globalThis.__benchStore ??= { name: "" };
  return globalThis.__benchStore;
}
