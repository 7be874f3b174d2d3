#!/usr/bin/env node
// The `gatehouse` command: serve (default), migrate, admin, service-key, keys, secret-key.
// Every command reads the same configuration as `serve` and works on the same store, also
// while it runs.
// First, before any other module loads: see the file for why.
import './tick-object-shape.js';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { SecretKeyError } from '../credentials/secret-box.js';
import { serve } from './serve.js';
import { migrate } from './migrate.js';

const usage = `Usage: gatehouse <command> [options]

Commands:
  serve                          run the service (default)
  migrate [--plan]               apply schema migrations (--plan: only say what would run)
  admin create --username U [--email E] [--database D] --password-stdin
                                 create an administrator with TOTP enrolled; prints the
                                 otpauth:// URI and a QR code for an authenticator app
  service-key create --name N [--database D]
                                 create a sessions-service key and print it once
  service-key revoke --name N    revoke a key
  keys rotate                    add a new token-signing key (old ones stay published
                                 until their tokens expire)
  secret-key rotate              re-seal stored secrets with a new secret key

Options:
  --json                         machine-readable output
  --help                         this text

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      name: { type: 'string' },
      database: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const [command = 'serve', sub] = positionals;
  switch (command) {
    case 'serve':
      await serve(config);
      return 0;
    case 'migrate':
      return migrate(config, { json: values.json, plan: values.plan });
    case 'service-key': {
      const { serviceKeyCommand } = await import('./service-key.js');
      return serviceKeyCommand(config, sub, values);
    }
    case 'admin': {
      const { adminCommand } = await import('./admin.js');
      return adminCommand(config, sub, values);
    }
    case 'keys': {
      const { keysCommand } = await import('./keys.js');
      return keysCommand(config, sub, values.json);
    }
    case 'secret-key': {
      const { secretKeyCommand } = await import('./keys.js');
      return secretKeyCommand(config, sub, values.json);
    }
    default:
      console.error(`Unknown command "${command}".\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(`Configuration error: ${err.message}`);
    else if (err instanceof SecretKeyError) console.error(`Secret key error: ${err.message}`);
    else if (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) console.error(`${err.message}\n\n${usage}`);
    else console.error(err instanceof Error ? err.message : err);
    process.exitCode = err instanceof ConfigError || err instanceof SecretKeyError ? 78 : 1;
  },
);
