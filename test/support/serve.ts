import { spawn, type ChildProcess } from 'node:child_process';

export interface ServeProcess {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

const children = new Set<ChildProcess>();

export interface ServeOptions {
  /** The CLI to run: the TypeScript sources through tsx by default, or a built `cli.js` with plain Node. */
  cli?: string;
  /** The working directory (a packaged folder runs from its own); the project root by default. */
  cwd?: string;
  startTimeoutMs?: number;
}

/**
 * Starts `onsale serve` as a child process, as a user runs it, on a port the system picks, and
 * resolves once it prints that it is running; a process that does not start is killed. The bound is
 * generous: a busy machine takes tens of seconds to start one. `killServers` (for afterAll) kills
 * whatever is still running.
 */
export function serve(env: Record<string, string>, { cli = 'src/cli.ts', cwd, startTimeoutMs = 120_000 }: ServeOptions = {}): Promise<ServeProcess> {
  const loader = cli.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, cli, 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output}`)), startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /app:\s+(http:\/\/\S+?)\/\s/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

export const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

export function killServers(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** A JSON request to a served process; the body is undefined when the response is not JSON. */
export async function call(url: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}
