// The password-reset mail: the code in a plain-text and an HTML body. The code is the only
// secret in it; nothing else about the account is included.
import type { MailMessage } from './mailer.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function passwordResetMail(to: string, username: string, code: string, validMinutes: number): MailMessage {
  const name = escapeHtml(username);
  return {
    to,
    subject: 'Your password reset code',
    text: [
      `Hello ${username},`,
      '',
      `Someone asked to reset the password of your account. Your reset code is: ${code}`,
      '',
      `It works once, for ${validMinutes} minutes. If you did not ask for this, ignore this mail: your password stays as it is.`,
    ].join('\n'),
    html: [
      `<p>Hello ${name},</p>`,
      '<p>Someone asked to reset the password of your account. Your reset code is:</p>',
      `<p style="font-size:1.5em;font-family:monospace;letter-spacing:0.1em"><strong>${code}</strong></p>`,
      `<p>It works once, for ${validMinutes} minutes. If you did not ask for this, ignore this mail: your password stays as it is.</p>`,
    ].join('\n'),
  };
}
