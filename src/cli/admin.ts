// `gatehouse admin create`: the first administrator (and any later one) from the command
// line, with TOTP enrolled at once: the operator gets the otpauth:// URI as text and as a
// QR code for an authenticator app. Works against the same store while the service runs.
import QRCode from 'qrcode';
import { createCore } from '../app.js';
import type { Config } from '../config.js';
import { cliContext, refused } from './context.js';

interface Options {
  json?: boolean;
  username?: string;
  email?: string;
  database?: string;
  'password-stdin'?: boolean;
}

const usage = 'Usage: gatehouse admin create --username U [--email E] [--database D] --password-stdin [--json]';

/** The whole of standard input, less one trailing line break (what `echo` or a file adds). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function adminCommand(config: Config, action: string | undefined, options: Options): Promise<number> {
  if (action !== 'create' || !options.username || !options['password-stdin']) {
    console.error(usage);
    return 2;
  }
  const password = await readStdin();
  const core = await createCore(config);
  try {
    const ctx = cliContext(config, options.database);
    const { accounts } = core;
    // `.invalid` is reserved: the address is unique and never receives mail.
    const email = options.email ?? `${options.username.normalize('NFKC').toLowerCase()}@admin.invalid`;
    const user = await accounts.register(ctx, { username: options.username, email, password, role: 'admin' });
    const enrolment = await accounts.secondFactor.enrol(ctx, user, { enabled: true });
    if (options.json) {
      console.log(JSON.stringify({ user_id: user.id, username: user.username, totp_secret: enrolment.secret, otpauth_url: enrolment.otpauthUrl }));
    } else {
      const qr = await QRCode.toString(enrolment.otpauthUrl, { type: 'terminal', small: true });
      console.log(`Administrator "${user.username}" created in database "${ctx.database}" (id ${user.id}).`);
      console.log('Scan this with an authenticator app, or enter the secret by hand; every login needs its code:\n');
      console.log(qr);
      console.log(`${enrolment.otpauthUrl}\nsecret: ${enrolment.secret}`);
    }
    return 0;
  } catch (err) {
    return refused(err, options.json);
  } finally {
    await core.close();
  }
}
