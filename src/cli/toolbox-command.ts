import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_TOOLBOX_PACKAGES, LABEL_TOOLBOX_SOURCE } from '../core/labels.js';
import { parsePackageList } from '../core/toolbox-packages.js';
import { ensurePackageToolbox } from '../debug/package-toolbox.js';
import type { ImageSummary } from '../engines/engine.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { table, terminalSafe } from './terminal-safe.js';
import { packageBuildReporter } from './toolbox-progress.js';
import { requireCapability } from '../engines/capabilities.js';
import { shortId } from '../core/short-id.js';

/** `sidekick toolbox ls`: the images labelled as toolboxes, with what they hold. */
export async function runToolboxList(flags: { json?: boolean }, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const images = await requireCapability(engine, 'images', 'list toolbox images (sidekick toolbox ls)').listImages({ labels: [`${LABEL_KIND}=toolbox`] });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(images.map(describe), null, 2)}\n`);
      return 0;
    }
    if (images.length === 0) {
      process.stdout.write('no toolbox images\n');
      return 0;
    }
    const rows = [['IMAGE', 'ID', 'FROM', 'HOLDS'], ...images.map((image) => Object.values(describe(image)))];
    process.stdout.write(`${table(rows.map((row) => row.map(terminalSafe)))}\n`);
    return 0;
  } finally {
    engine.close();
  }
}

function describe(image: ImageSummary): { image: string; id: string; from: string; holds: string } {
  return {
    image: image.repoTags.join(', ') || '<untagged>',
    id: shortId(image.id),
    from: image.labels[LABEL_TOOLBOX_SOURCE] ?? '',
    holds: image.labels[LABEL_TOOLBOX_PACKAGES] ?? 'busybox',
  };
}

/** `sidekick toolbox build --tools …`: prints the image's name. */
export async function runToolboxBuild(flags: { tools: string; tag?: string; rebuild?: boolean }, global: GlobalFlags): Promise<number> {
  const packages = parsePackageList(flags.tools);
  const { engine } = connectEngine(global);
  try {
    const reporter = packageBuildReporter(global.debug === true);
    const toolbox = await ensurePackageToolbox(engine, { packages, ...(flags.tag !== undefined ? { tag: flags.tag } : {}), ...(flags.rebuild ? { rebuild: true } : {}) }, process.env, reporter);
    reporter.onToolbox(toolbox.image, toolbox.built ? 'built now' : 'cached');
    process.stdout.write(`${toolbox.image}${flags.tag !== undefined ? `\n${flags.tag}` : ''}\n`);
    return 0;
  } finally {
    engine.close();
  }
}

/** `sidekick toolbox rm REF…`: only images labelled as sidekick's toolboxes. */
export async function runToolboxRemove(refs: string[], global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  let status = 0;
  try {
    const images = requireCapability(engine, 'images', 'remove toolbox images (sidekick toolbox rm)');
    for (const ref of refs) {
      const labels = await images.imageLabels(ref);
      if (labels === undefined) {
        process.stderr.write(`sidekick: no image ${terminalSafe(ref)}.\n`);
        status = 1;
        continue;
      }
      if (labels[LABEL_KIND] !== 'toolbox') {
        throw new SidekickError('BAD_USAGE', `${ref} is not a sidekick toolbox image; it is left alone.`, { hint: `Remove other images with ${engine.commands.removeImage(ref) ?? "the engine's own tools"}.` });
      }
      try {
        await images.removeImage(ref);
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        process.stderr.write(`sidekick: could not remove ${terminalSafe(ref)}: ${error instanceof Error ? error.message : String(error)}\n`);
        status = 1;
      }
    }
    return status;
  } finally {
    engine.close();
  }
}
