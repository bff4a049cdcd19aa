import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CloudTrailRecord } from './cloudtrail-records';
import { demoAuthorizationDetails } from './iam-story';
import { DEMO_ACCOUNT, DEMO_REGION, demoCloudTrailRecords, demoTagMappings } from './story';

/** The demo data lives in the repository (demo/), in the formats AWS delivers. */
export function demoDir(): string {
  // from src/demo (tests) or dist/src/demo (compiled)
  const fromSrc = path.resolve(__dirname, '../../demo');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? path.resolve(__dirname, '../../../demo') : fromSrc;
}

export interface DemoFile {
  /** path below demo/ */
  relativePath: string;
  content: Buffer;
}

/** CloudTrail's S3 layout: AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<file>. */
function logFilePath(day: string, stamp: string): string {
  const [y, m, d] = day.split('-');
  return path.posix.join('cloudtrail', 'AWSLogs', DEMO_ACCOUNT, 'CloudTrail', DEMO_REGION, y, m, d, `${DEMO_ACCOUNT}_CloudTrail_${DEMO_REGION}_${stamp}_demo.json.gz`);
}

/** The story as files: one gzipped log file per day, and GetResources responses of 5 per page. */
export function demoFiles(): DemoFile[] {
  const byDay = new Map<string, CloudTrailRecord[]>();
  for (const r of demoCloudTrailRecords()) {
    const day = r.eventTime.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), r]);
  }
  const files: DemoFile[] = [...byDay].map(([day, records]) => ({
    relativePath: logFilePath(day, `${day.replace(/-/g, '')}T0800Z`),
    // mtime 0 in the gzip header: the same story always gives the same bytes
    content: gzipSync(JSON.stringify({ Records: records }), { level: 9 }),
  }));
  const mappings = demoTagMappings();
  const pages = Math.ceil(mappings.length / 5);
  for (let p = 0; p < pages; p++) {
    const body = { PaginationToken: p + 1 < pages ? `demo-page-${p + 2}` : '', ResourceTagMappingList: mappings.slice(p * 5, p * 5 + 5) };
    files.push({ relativePath: `tags/${DEMO_ACCOUNT}-${DEMO_REGION}-get-resources-page-${p + 1}.json`, content: Buffer.from(JSON.stringify(body, null, 2) + '\n') });
  }
  files.push({ relativePath: `iam/${DEMO_ACCOUNT}-authorization-details.json`, content: Buffer.from(JSON.stringify(demoAuthorizationDetails(), null, 4) + '\n') });
  return files;
}

export async function writeDemoFiles(dir = demoDir()): Promise<string[]> {
  const written: string[] = [];
  for (const f of demoFiles()) {
    const target = path.join(dir, f.relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, f.content);
    written.push(target);
  }
  return written;
}
