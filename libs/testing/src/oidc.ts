import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface OidcProvider {
  issuer: string;
  close(): Promise<void>;
}

export interface OidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/**
 * A real OpenID Provider (oidc-provider) on loopback, in its own process (it
 * is an ES module with its own runtime wishes). Stopped by close().
 */
export async function startOidcProvider(clients: OidcClient[]): Promise<OidcProvider> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-idp.mjs')], {
    env: { ...process.env, OIDC_CLIENTS: JSON.stringify(clients), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OpenID Provider did not start within 20 s: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`the OpenID Provider exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
  });
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
