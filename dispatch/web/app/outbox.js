// What the phone has not delivered yet, kept in IndexedDB so that a closed page, a lost signal
// or a flat battery loses nothing: GPS fixes (keyed by an ever-growing seq), reports (keyed
// by their client_id, photos included as blobs) and patrol starts and ends tapped without
// signal (in the order tapped, with the time of the tap). One database per user, so a shared phone never
// uploads one worker's fixes under another's name. Without IndexedDB (some private modes) the
// same interface keeps things in memory for the life of the page.

const DB_PREFIX = "dispatch-app-";
const DB_VERSION = 2;
export const FIXES = "fixes";
export const REPORTS = "reports";
export const PATROLS = "patrols";
const STORES = {
  [FIXES]: { keyPath: "seq", autoIncrement: true },
  [REPORTS]: { keyPath: "client_id" },
  [PATROLS]: { keyPath: "id", autoIncrement: true },
};

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

class IdbOutbox {
  constructor(db) {
    this.db = db;
    this.persistent = true;
  }

  /** Store ``value``; the key (a new seq for fixes). */
  async add(store, value) {
    const tx = this.db.transaction(store, "readwrite");
    const key = await promised(tx.objectStore(store).add(value));
    await done(tx);
    return key;
  }

  async put(store, value) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(value);
    await done(tx);
  }

  /** Put ``value`` in place of the value under ``oldKey``, in one step (both or neither). */
  async replace(store, oldKey, value) {
    const tx = this.db.transaction(store, "readwrite");
    const objects = tx.objectStore(store);
    objects.delete(oldKey);
    objects.put(value);
    await done(tx);
  }

  /** Every value of ``store`` in key order (at most ``limit``). */
  async all(store, limit = undefined) {
    const tx = this.db.transaction(store, "readonly");
    return promised(tx.objectStore(store).getAll(null, limit));
  }

  async get(store, key) {
    const tx = this.db.transaction(store, "readonly");
    return promised(tx.objectStore(store).get(key));
  }

  async remove(store, keys) {
    if (!keys.length) return;
    const tx = this.db.transaction(store, "readwrite");
    const objects = tx.objectStore(store);
    for (const key of keys) objects.delete(key);
    await done(tx);
  }

  async count(store) {
    const tx = this.db.transaction(store, "readonly");
    return promised(tx.objectStore(store).count());
  }
}

class MemoryOutbox {
  constructor() {
    this.persistent = false;
    this.stores = Object.fromEntries(Object.keys(STORES).map((name) => [name, new Map()]));
    this.nextSeq = 1;
  }

  async add(store, value) {
    const spec = STORES[store];
    const key = spec.autoIncrement ? this.nextSeq++ : value[spec.keyPath];
    if (this.stores[store].has(key)) throw new Error(`key ${key} exists`);
    this.stores[store].set(key, { ...value, [spec.keyPath]: key });
    return key;
  }

  async put(store, value) {
    this.stores[store].set(value[STORES[store].keyPath], value);
  }

  async replace(store, oldKey, value) {
    this.stores[store].delete(oldKey);
    await this.put(store, value);
  }

  async all(store, limit = undefined) {
    const values = [...this.stores[store].entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
    return limit === undefined ? values : values.slice(0, limit);
  }

  async get(store, key) {
    return this.stores[store].get(key);
  }

  async remove(store, keys) {
    for (const key of keys) this.stores[store].delete(key);
  }

  async count(store) {
    return this.stores[store].size;
  }
}

/** The outbox of ``username``. */
export async function openOutbox(username) {
  if (typeof indexedDB === "undefined") return new MemoryOutbox();
  try {
    const request = indexedDB.open(DB_PREFIX + username, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [name, spec] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, spec);
      }
    };
    request.onblocked = () => console.warn("outbox: an older page still holds the outbox open");
    const db = await promised(request);
    db.onversionchange = () => db.close(); // a newer version of the app needs it: let go
    return new IdbOutbox(db);
  } catch (error) {
    console.warn("outbox: IndexedDB unavailable, keeping data in memory", error);
    return new MemoryOutbox();
  }
}
