'use strict';
// FileTokenStore: tokens shared by the processes of one machine, in a private folder; the
// twin of the Python packages' _file_token_store.py, on the same files: a Python process
// and a Node.js process share one folder.
//
// Node's fs only (no flock): a record is <key>.json, replaced by renaming a finished
// temporary file over it; a lease is <key>.lock, made by hard-linking a finished temporary
// file to that name, which fails when it exists. A lock is replaced (its lease ran out) or
// removed (given back) only by the holder of <key>.lock.break, made with 'wx', after it
// read the lock again. The runtime contract (templates/RUNTIME-CONTRACT.md, "Token
// stores") gives the details.

const crypto = require('node:crypto');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const { TokenStoreError } = require('./errors.js');
const { TokenStore } = require('./token_store.js');

/** Seconds after which a breaker file is taken for one its process left behind. */
const BREAKER_STALE = 10;
const POSIX = process.platform !== 'win32';

/**
 * $TOKENWORKS_CACHE_DIR, else the user's cache folder with `tokenworks` in it.
 * @returns {string}
 */
function defaultDirectory() {
  const chosen = process.env.TOKENWORKS_CACHE_DIR;
  if (chosen) {
    return chosen;
  }
  const home = os.homedir();
  if (process.platform === 'win32') {
    const local = process.env.LOCALAPPDATA;
    return path.join(local || path.join(home, 'AppData', 'Local'), 'tokenworks', 'Cache');
  }
  if (process.platform === 'darwin') {
    return path.join(home, 'Library', 'Caches', 'tokenworks');
  }
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'tokenworks');
}

/**
 * Keeps shared tokens as files in `directory`, for the processes of one machine. The
 * folder (default: $TOKENWORKS_CACHE_DIR, else $XDG_CACHE_HOME/tokenworks or
 * ~/.cache/tokenworks, ~/Library/Caches/tokenworks on macOS, %LOCALAPPDATA%\tokenworks\Cache
 * on Windows) is made with mode 0700 when missing, its files with 0600. A record that other
 * users can read, or that belongs to another user, is refused with TokenStoreError, as ssh
 * refuses such a key, and so is a folder that other users can write to.
 */
class FileTokenStore extends TokenStore {
  /** @param {string} [directory] */
  constructor(directory) {
    super();
    if (directory !== undefined && directory !== null && typeof directory !== 'string') {
      throw new TypeError(`FileTokenStore: directory must be a path (a string), got ${typeof directory}`);
    }
    /** @type {string} */
    this.directory = directory || defaultDirectory();
    this.ready = false;
  }

  toString() {
    return `FileTokenStore(${JSON.stringify(this.directory).replace(/^"|"$/g, "'")})`;
  }

  /** @param {string} key */
  async read(key) {
    const file = await this.path(key, '.json');
    let handle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') {
        return null;
      }
      throw this.error('cannot read', file, error);
    }
    try {
      this.checkPrivate(file, await handle.stat());
      return new TextDecoder('utf-8', { fatal: true }).decode(await handle.readFile());
    } catch (error) {
      throw error instanceof TokenStoreError ? error : this.error('cannot read', file, error);
    } finally {
      await handle.close();
    }
  }

  /** @param {string} key @param {string} record */
  async write(key, record) {
    const file = await this.path(key, '.json');
    try {
      this.checkPrivate(file, await fs.stat(file)); // a refused record is not replaced either
    } catch (error) {
      if (error instanceof TokenStoreError) {
        throw error;
      }
      if (codeOf(error) !== 'ENOENT') {
        throw this.error('cannot write', file, error);
      }
    }
    try {
      const temporary = await this.finishedFile(key, record);
      try {
        await fs.rename(temporary, file);
      } catch (error) {
        await unlink(temporary);
        throw error;
      }
      await this.syncDirectory();
    } catch (error) {
      throw this.error('cannot write', file, error);
    }
  }

  /** @param {string} key @param {string} owner @param {number} lease */
  async acquire(key, owner, lease) {
    const file = await this.path(key, '.lock');
    const content = JSON.stringify({
      owner, expires_at: Date.now() / 1000 + lease, host: os.hostname(), pid: process.pid,
    });
    try {
      const temporary = await this.finishedFile(key, content);
      try {
        return await this.take(key, file, temporary, lease);
      } finally {
        await unlink(temporary);
      }
    } catch (error) {
      throw this.error('cannot take the lease', file, error);
    }
  }

  /**
   * Links `temporary` as the lock; replaces a lock whose lease ran out, under the breaker.
   * @param {string} key
   * @param {string} file
   * @param {string} temporary
   * @param {number} lease
   * @returns {Promise<boolean>}
   */
  async take(key, file, temporary, lease) {
    if (await link(temporary, file)) {
      return true;
    }
    const seen = await readLock(file);
    if (seen === null) { // given back in the meantime
      return link(temporary, file);
    }
    if (!(await expired(seen, file, lease))) {
      return false;
    }
    return this.withBreaker(key, 0, async (breaking) => {
      if (!breaking) {
        return false; // another process is breaking it or giving one back
      }
      const found = await readLock(file);
      if (found === null) {
        return link(temporary, file);
      }
      if (found !== seen || !(await expired(found, file, lease))) {
        return false;
      }
      await fs.rename(temporary, file); // the name never disappears: no one links in between
      return true;
    });
  }

  /** @param {string} key @param {string} owner */
  async release(key, owner) {
    const file = await this.path(key, '.lock');
    try {
      await this.withBreaker(key, 1, async (held) => {
        const found = held ? await readLock(file) : null;
        if (found !== null && lockField(found, 'owner') === owner) {
          await fs.unlink(file);
        }
      });
    } catch (error) {
      throw this.error('cannot give the lease back', file, error);
    }
  }

  /**
   * @param {string} key
   * @param {string} suffix
   * @returns {Promise<string>}
   */
  async path(key, suffix) {
    if (!this.ready) {
      await this.prepare();
    }
    return path.join(this.directory, `${key}${suffix}`);
  }

  /** Makes the folder (0700) when missing; refuses one that other users can write to. */
  async prepare() {
    let info;
    try {
      await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
      info = await fs.stat(this.directory);
    } catch (error) {
      throw this.error('cannot make the folder', this.directory, error);
    }
    if (!info.isDirectory()) {
      throw new TokenStoreError(`${this}: ${this.directory} is not a folder`);
    }
    if (POSIX && info.mode & 0o022) {
      throw new TokenStoreError(`${this}: other users can write to the folder (mode ${mode(info.mode)}); choose a private folder or chmod 700 it`);
    }
    this.ready = true;
  }

  /**
   * @param {string} file
   * @param {import('node:fs').Stats} info
   */
  checkPrivate(file, info) {
    if (!POSIX) {
      return;
    }
    const name = path.basename(file);
    if (typeof process.geteuid === 'function' && info.uid !== process.geteuid()) {
      throw new TokenStoreError(`${this}: ${name} belongs to another user; not used`);
    }
    if (info.mode & 0o077) {
      throw new TokenStoreError(`${this}: ${name} can be read by other users (mode ${mode(info.mode)}); not used: chmod 600 it or delete it`);
    }
  }

  /**
   * A new file (0600) in the folder holding `content`, flushed to the disk.
   * @param {string} key
   * @param {string} content
   * @returns {Promise<string>}
   */
  async finishedFile(key, content) {
    const temporary = path.join(this.directory, `.${key}.${crypto.randomBytes(8).toString('hex')}.tmp`);
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temporary);
      throw error;
    }
    await handle.close();
    return temporary;
  }

  /**
   * Runs `body` holding <key>.lock.break, held while a lock is replaced or removed, so never
   * by two; tries for `wait` seconds, else runs body(false). One left by a process that died
   * holding it (older than BREAKER_STALE seconds) is removed first.
   * @template T
   * @param {string} key
   * @param {number} wait
   * @param {(held: boolean) => Promise<T>} body
   * @returns {Promise<T>}
   */
  async withBreaker(key, wait, body) {
    const breaker = path.join(this.directory, `${key}.lock.break`);
    const deadline = performance.now() + wait * 1000;
    for (;;) {
      try {
        await (await fs.open(breaker, 'wx', 0o600)).close();
        break;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') {
          throw error;
        }
        if (await age(breaker) > BREAKER_STALE) {
          await unlink(breaker);
          continue;
        }
        if (performance.now() >= deadline) {
          return body(false);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    try {
      return await body(true);
    } finally {
      await unlink(breaker);
    }
  }

  async syncDirectory() {
    if (!POSIX) {
      return;
    }
    const handle = await fs.open(this.directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * @param {string} what
   * @param {string} file
   * @param {unknown} error
   * @returns {Error}
   */
  error(what, file, error) {
    if (error instanceof TokenStoreError) {
      return error;
    }
    if (codeOf(error) === 'ENOENT') {
      this.ready = false; // the folder went away: the next call makes it again
    }
    const reason = codeOf(error) || (error instanceof Error ? error.name : String(error));
    return new TokenStoreError(`${this}: ${what} ${path.basename(file)}: ${reason}`);
  }
}

/**
 * A lock file's content as text, or null when it is gone; '' when it cannot be read.
 * @param {string} file
 * @returns {Promise<string|null>}
 */
async function readLock(file) {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    return codeOf(error) === 'ENOENT' ? null : '';
  }
}

/**
 * A field of a lock's content, or undefined when it is not a JSON object.
 * @param {string} content
 * @param {string} name
 * @returns {unknown}
 */
function lockField(content, name) {
  try {
    const parsed = JSON.parse(content);
    return parsed !== null && typeof parsed === 'object' ? parsed[name] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a lock's lease ran out; one without a readable expiry ages from its mtime.
 * @param {string} content
 * @param {string} file
 * @param {number} lease
 * @returns {Promise<boolean>}
 */
async function expired(content, file, lease) {
  const expiresAt = lockField(content, 'expires_at');
  if (typeof expiresAt === 'number') {
    return expiresAt <= Date.now() / 1000;
  }
  try {
    return (await fs.stat(file)).mtimeMs / 1000 + lease <= Date.now() / 1000;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') {
      return true;
    }
    throw error;
  }
}

/**
 * Seconds since `file` was last changed; 0 when it is gone.
 * @param {string} file
 * @returns {Promise<number>}
 */
async function age(file) {
  try {
    return Date.now() / 1000 - (await fs.stat(file)).mtimeMs / 1000;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') {
      return 0;
    }
    throw error;
  }
}

/**
 * Gives `source` the name `target` too, unless that name exists.
 * @param {string} source
 * @param {string} target
 * @returns {Promise<boolean>}
 */
async function link(source, target) {
  try {
    await fs.link(source, target);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') {
      return false;
    }
    throw error;
  }
  return true;
}

/** @param {string} file */
async function unlink(file) {
  try {
    await fs.unlink(file);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') {
      throw error;
    }
  }
}

/**
 * @param {unknown} error
 * @returns {string|undefined} Node's error code (ENOENT, EACCES...), if it has one.
 */
function codeOf(error) {
  const code = error !== null && typeof error === 'object' ? /** @type {any} */ (error).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * @param {number} bits
 * @returns {string} The permission bits as ls writes them in octal: 0644.
 */
function mode(bits) {
  return (bits & 0o7777).toString(8).padStart(4, '0');
}

module.exports = { FileTokenStore, defaultDirectory };
