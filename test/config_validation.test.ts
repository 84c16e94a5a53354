/** Issue 13.5/13.6 and 16.3: print-config refuses what train would, naming the key and what was expected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToolProcess } from './helpers.js';

const SEG = 'configs/segmentation/swin-mini_upernet_ade.ts';
const DET = 'configs/detection/swin-mini_fcos_coco.ts';
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'densekit-validate-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function printConfig(config: string, options: string[]): { status: number | null; err: string } {
  const r = runToolProcess('print_config', ['--config', config, '--cfg-options', ...options]);
  return { status: r.status, err: r.stderr };
}

describe('print-config catches what train would', () => {
  it.each([
    [SEG, 'trainDataloader.batchSize=-1', /ConfigError: Option trainDataloader\.batchSize .*expected an integer ≥ 1, got -1/],
    [SEG, 'trainDataloader.batchSize=2.5', /ConfigError: Option trainDataloader\.batchSize .*expected an integer ≥ 1, got 2\.5/],
    [SEG, 'model.backbone.windowSize=0', /ConfigError: Option model\.backbone\.windowSize of SwinTransformer: expected an integer ≥ 1, got 0/],
    [SEG, 'trainCfg.maxIters=abc', /ConfigError: Option trainCfg\.maxIters .*expected number or null, got string "abc"|expected an integer ≥ 1, got "abc"/],
    [SEG, 'trainCfg.by=iters', /ConfigError: Option trainCfg\.by .*expected one of "iter", "epoch", got "iters"\. Did you mean 'iter'/],
    [SEG, 'defaultHooks.checkpoint.rule=grater', /ConfigError: Option defaultHooks\.checkpoint\.rule .*expected one of "greater", "less", got "grater"/],
    [SEG, 'model.backbone.dropPathRate=1.5', /ConfigError: Option model\.backbone\.dropPathRate .*expected a number in \[0, 1\], got 1\.5/],
    [SEG, 'model.decodeHead.lossDecode.type=CrossEntropy', /ConfigError: Unknown losses type 'CrossEntropy' at model\.decodeHead\.lossDecode\.type\. Did you mean 'CrossEntropyLoss'/],
    [SEG, 'model.decodeHead.numClasses=3', /ConfigError: model\.decodeHead\.numClasses is 3, but trainDataloader\.dataset\.classes has 4 classes: set model\.decodeHead\.numClasses to 4/],
    [SEG, 'model.auxiliaryHead.lossDecode.classWeight=[1,1]', /ConfigError: model\.auxiliaryHead\.lossDecode\.classWeight has 2 entries, but trainDataloader\.dataset\.classes gives 4 classes/],
    // (`trainCfg.maxIters=7` alone now scales the schedule: test/schedule_scaling.test.ts.)
    [SEG, 'paramScheduler.0.end=700', /ConfigError: paramScheduler\.0\.end \(700\) is beyond trainCfg\.maxIters \(600\): set paramScheduler\.0\.end to at most 600, or raise trainCfg\.maxIters/],
    [
      SEG,
      'paramScheduler.1.begin=600',
      /ConfigError: paramScheduler\.1\.begin \(600\) is not below trainCfg\.maxIters \(600\).*set trainCfg\.maxIters above 600, or lower paramScheduler\.1\.begin \(and paramScheduler\.0\.end\) below 600/,
    ],
    [
      DET,
      'model.neck.addExtraConvs=on_inptu',
      /ConfigError: Option model\.neck\.addExtraConvs of FPN: expected one of false, true, "on_input", "on_lateral", "on_output", got "on_inptu"\. Did you mean 'on_input'/,
    ],
    [DET, 'model.neck.upsampleCfg.mode=bilinaer', /ConfigError: Option model\.neck\.upsampleCfg\.mode .*expected one of "nearest", "bilinear", got "bilinaer"/],
  ])(
    '%s with %s',
    (config, option, message) => {
      const r = printConfig(config, [option]);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace without --debug
    },
    60_000,
  );

  it('the stack is printed with --debug', () => {
    const r = runToolProcess('print_config', ['--config', SEG, '--debug', '--cfg-options', 'trainDataloader.batchSize=-1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ConfigError: .*batchSize[\s\S]*\n\s+at /);
  }, 60_000);

  it('distillation.type typos name the choices', () => {
    const r = printConfig('configs/classification/deit-mini_distill_imagefolder.ts', ['distillation.type=sfot']);
    expect(r.err).toMatch(/Option distillation\.type .*expected one of "soft", "hard", got "sfot"\. Did you mean 'soft'/);
  }, 60_000);

  it('a copied config whose _base_ no longer resolves names the file that asked for it', () => {
    const copy = join(root, 'my_config.ts');
    copyFileSync(SEG, copy);
    const r = runToolProcess('print_config', ['--config', copy]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the _base_ '../_base_/models/upernet_swin.ts' of ${copy}`);
  }, 60_000);

  it('top-level classes flow to every split and are checked against the heads', () => {
    const r = runToolProcess('print_config', [
      '--config',
      SEG,
      '--cfg-options',
      'classes=["bg","thing"]',
      'model.decodeHead.lossDecode.classWeight=[0.3,1]',
      'model.auxiliaryHead.lossDecode.classWeight=null',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as Record<string, { dataset: { classes: string[] } }>;
    for (const split of ['trainDataloader', 'valDataloader', 'testDataloader']) expect(printed[split].dataset.classes).toEqual(['bg', 'thing']);
    const bad = printConfig(SEG, ['classes=["bg","thing"]']);
    expect(bad.err).toMatch(/model\.decodeHead\.lossDecode\.classWeight has 4 entries, but classes gives 2 classes/);
  }, 60_000);
});
