/**
 * Reads a tutorial section of the README as a new user would follow it: the
 * fenced blocks under one `###` heading, split into the data layout it shows,
 * the files it tells the user to write (a code block whose first line is a
 * `// path` comment) and the shell commands it tells them to run. The tutorial
 * tests run exactly these, so the README and the tests cannot drift apart.
 */
import { readFileSync } from 'node:fs';

/** One fenced block of a section. */
export interface FencedBlock {
  /** The info string after the opening fence (`bash`, `ts`, or empty). */
  lang: string;
  /** The lines between the fences. */
  lines: string[];
}

/** A file the tutorial tells the user to write. */
export interface TutorialFile {
  /** Path relative to the project root, from the block's first `// path` line. */
  path: string;
  /** The whole block, written as is. */
  content: string;
}

/** One shell command of the tutorial. */
export interface TutorialCommand {
  /** The line as the README prints it, without its trailing `# comment`. */
  text: string;
  /** Its words (`npm`, `run`, script, `--`, arguments). */
  words: string[];
}

/** The parts of a tutorial section. */
export interface Tutorial {
  /** The heading text. */
  heading: string;
  /** Lines of the untagged blocks (file layouts such as `my_data/images/training/*.jpg`). */
  layout: string[];
  /** Files to write. */
  files: TutorialFile[];
  /** Commands, in README order. */
  commands: TutorialCommand[];
}

/** The fenced blocks between `### heading` and the next heading of level ≤ 3. */
export function sectionBlocks(markdown: string, heading: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `### ${heading}`);
  if (start < 0) throw new Error(`README has no section '### ${heading}'`);
  const blocks: FencedBlock[] = [];
  let open: FencedBlock | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (open === null && /^#{1,3} /.test(line)) break;
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence !== null) {
      if (open === null) open = { lang: fence[1], lines: [] };
      else {
        blocks.push(open);
        open = null;
      }
      continue;
    }
    open?.lines.push(line);
  }
  if (open !== null) throw new Error(`README section '${heading}': a code block is not closed`);
  return blocks;
}

/** Splits a command line into words (single and double quotes group, no other shell syntax). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** Parses a README tutorial section into its layout, files and commands. */
export function readTutorial(readmePath: string, heading: string): Tutorial {
  const blocks = sectionBlocks(readFileSync(readmePath, 'utf8'), heading);
  const tutorial: Tutorial = { heading, layout: [], files: [], commands: [] };
  for (const block of blocks) {
    if (block.lang === 'bash' || block.lang === 'sh') {
      for (const raw of block.lines) {
        const text = raw.replace(/(^|\s)#.*$/, '').trim();
        if (text === '') continue;
        if (/[|&;<>`$\\]/.test(text)) throw new Error(`README section '${heading}': command '${text}' uses shell syntax the tutorial test does not run`);
        tutorial.commands.push({ text, words: shellWords(text) });
      }
    } else if (block.lang === '') {
      tutorial.layout.push(...block.lines.filter((l) => l.trim() !== ''));
    } else {
      const path = /^\s*\/\/\s*(\S+\.\w+)\s*$/.exec(block.lines[0] ?? '')?.[1];
      if (path !== undefined) tutorial.files.push({ path, content: `${block.lines.join('\n')}\n` });
    }
  }
  return tutorial;
}
