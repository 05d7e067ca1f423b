// Structured JSON logs (pino). Every call-scoped logger carries callId/streamSid (and turn/trace
// ids when known) as bindings, so one grep follows one call.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hebrew-voice-agent' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything; for unit tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Masks a phone number for logs: keeps the country prefix and the last two digits. */
export function maskPhone(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  const digits = value.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  return `${digits.slice(0, digits.startsWith('+') ? 4 : 3)}***${digits.slice(-2)}`;
}
