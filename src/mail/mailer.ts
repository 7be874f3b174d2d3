// Outgoing mail: the `Mailer` port and its nodemailer implementation. With SMTP_URL each
// message goes to that server; without it each is written as an .eml file under
// <data>/outbox/ and one log line says where, so a single node needs no mail server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { newId } from '../core/ids.js';
import type { Logger } from '../server/logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailSettings {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  /** Longest any one step of an SMTP conversation may take. */
  timeoutMs: number;
}

class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(url: string, private readonly from: string, timeoutMs: number) {
    // The URL carries host, port, security and credentials; the limits are added to it.
    const options = new URL(url);
    for (const name of ['connectionTimeout', 'greetingTimeout', 'socketTimeout']) options.searchParams.set(name, String(timeoutMs));
    this.transport = nodemailer.createTransport(options.toString());
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }

  close(): void {
    this.transport.close();
  }
}

class OutboxMailer implements Mailer {
  // Builds the RFC 5322 message exactly as SMTP would carry it, without sending it.
  private readonly composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  private readonly outbox: string;

  constructor(dataDir: string, private readonly from: string, private readonly logger: Logger) {
    this.outbox = join(dataDir, 'outbox');
  }

  async send(message: MailMessage): Promise<void> {
    const built = await this.composer.sendMail({ from: this.from, ...message });
    mkdirSync(this.outbox, { recursive: true, mode: 0o700 });
    const file = join(this.outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${newId()}.eml`);
    // The file holds a reset code: readable by the service's user only.
    writeFileSync(file, built.message as Buffer, { mode: 0o600 });
    this.logger.info({ file }, 'mail written to the outbox (SMTP_URL is not set)');
  }

  close(): void {}
}

export function createMailer(settings: MailSettings, logger: Logger): Mailer {
  return settings.smtpUrl ? new SmtpMailer(settings.smtpUrl, settings.from, settings.timeoutMs) : new OutboxMailer(settings.dataDir, settings.from, logger);
}

/**
 * Sends in the background: the caller never waits on or learns the outcome, so a slow or
 * absent mail server cannot make replies differ. Each send is bounded in time; failures
 * are logged without the message. `drain` waits for sends under way (shutdown, tests).
 */
export class BackgroundMail {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  dispatch(message: MailMessage, purpose: string): void {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`mail not sent within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    // Composing a message is synchronous work: it starts on the next turn of the event loop,
    // never inside the operation that asked for it (a reset request also pads its answer
    // to a floor, so a known account's mail is not seen in its timing).
    const nextTurn = new Promise<void>((resolve) => setImmediate(resolve));
    const sending: Promise<void> = Promise.race([nextTurn.then(() => this.mailer.send(message)), deadline])
      .catch((err: unknown) => this.logger.warn({ err: { message: (err as Error).message }, purpose }, 'mail could not be sent'))
      .finally(() => {
        clearTimeout(timer);
        this.pending.delete(sending);
      });
    this.pending.add(sending);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  close(): void {
    this.mailer.close();
  }
}
