/**
 * Keeping a dataset's files inside its folders: a file name that comes from
 * data (a COCO `file_name`, a split-file line, a listed file) is resolved
 * against its folder and rejected when it leaves it — through `..`, as an
 * absolute path, or through a symbolic link whose target lies outside.
 *
 * The folder itself may be a symbolic link (as `ln -s /big/disk/coco data/coco`):
 * the check compares real paths, so only links *inside* the folder that point
 * out of it are refused.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DataError } from '../core/errors.js';

function inside(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * A folder whose files are confined to it. Construct once per folder (its
 * real path is resolved once) and call {@link resolve} for each file name.
 */
export class ConfinedFolder {
  /** The folder as given, absolute. */
  readonly dir: string;
  private readonly realDir: string;

  /**
   * @param dir the folder (absolute or relative to the working directory); it should exist.
   * @param owner names the dataset in messages, e.g. `CocoDetection`.
   */
  constructor(
    dir: string,
    readonly owner: string,
  ) {
    this.dir = resolve(dir);
    this.realDir = existsSync(this.dir) ? realpathSync(this.dir) : this.dir;
  }

  /**
   * The absolute path of `name` inside the folder.
   * @param source where the name came from, e.g. `image id 3 in /data/ann.json`.
   * @throws DataError naming the source, the name and the folder when the path leaves the folder.
   */
  resolve(name: string, source: string): string {
    if (isAbsolute(name)) {
      throw new DataError(`${this.owner}: ${source}: file name '${name}' is an absolute path; file names must be relative to ${this.dir}`);
    }
    const full = resolve(this.dir, name);
    if (!inside(this.dir, full)) {
      throw new DataError(`${this.owner}: ${source}: file name '${name}' leaves the data folder ${this.dir} (resolves to ${full})`);
    }
    this.checkLinks(full, name, source);
    return full;
  }

  /**
   * Checks a path already inside the folder (e.g. found by listing it): when it
   * exists, its real path must stay inside the folder's real path.
   * @throws DataError when a symbolic link takes it outside.
   */
  checkLinks(full: string, name: string, source: string): void {
    if (!existsSync(full)) return;
    const real = realpathSync(full);
    if (!inside(this.realDir, real)) {
      throw new DataError(`${this.owner}: ${source}: file '${name}' is a symbolic link (or lies under one) to ${real}, outside the data folder ${this.dir}`);
    }
  }
}
