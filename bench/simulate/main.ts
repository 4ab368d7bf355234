/**
 * `npm run simulate -- [options]` / `onsale simulate [options]`: runs a flash sale against Onsale and
 * writes simulate-report.json and simulate-report.html (docs/simulate.md). Exit code 0 when every
 * invariant held and every expectation was met, 1 when not, 2 for bad options.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from './html.js';
import { OptionError, parseOptions, usage } from './options.js';
import { formatSummary } from './report.js';
import { runSimulation } from './run.js';

export async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (options === 'help') {
    console.log(usage());
    return 0;
  }
  const report = await runSimulation(options);
  const summary = formatSummary(report);
  console.log(summary);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'simulate-report.json'), JSON.stringify(report, null, 1));
  await writeFile(join(out, 'simulate-report.html'), renderHtml(report, summary));
  console.log(`\nreport: ${join(out, 'simulate-report.html')} and simulate-report.json`);
  return report.verdict.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.once('SIGINT', () => {
    // The nodes and nginx die with this process; the database and keys are dropped only by a run that ends.
    console.error('\ninterrupted: a database onsale_sim_<id> and Redis keys sim:<id>:* may be left behind (drop them by hand).');
    process.exit(130);
  });
  main(process.argv.slice(2)).then((code) => process.exit(code), (failure: unknown) => {
    console.error(failure instanceof OptionError ? failure.message : failure);
    process.exit(1);
  });
}
