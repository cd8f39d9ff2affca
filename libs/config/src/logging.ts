import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * One log format per process: JSON lines (for collectors) unless stdout is a
 * terminal, where the same records are printed readably. LOG_FORMAT=json or
 * pretty forces one. Nest's own messages go through the same logger
 * (NestLogger), so a terminal never shows two formats.
 */
export function createLogger(service: string, level: string, format: 'auto' | 'json' | 'pretty' = 'auto'): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'], censor: '[REDACTED]' },
  };
  const readable = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!readable) return pino(options);
  // Synchronous: a line written just before exit is not lost.
  return pino(options, pretty({ sync: true, colorize: true, singleLine: true, ignore: 'pid,hostname,service,context', messageFormat: '{service} {if context}[{context}] {end}{msg}', translateTime: 'SYS:HH:MM:ss' }));
}

/** Nest's start-up chatter (modules, routes): debug, not info. */
const FRAMEWORK = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestMicroservice']);

/** Nest's LoggerService on top of pino: `new Logger('x').warn(…)` becomes a pino record with `context: 'x'`. */
export class NestLogger {
  constructor(private readonly logger: Logger) {}

  private write(level: 'debug' | 'info' | 'warn' | 'error', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const effective = level === 'info' && context && FRAMEWORK.has(context) ? 'debug' : level;
    if (message instanceof Error) this.logger[effective]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[effective]({ context, ...message });
    else this.logger[effective]({ context }, String(message));
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack, context).
    const stack = rest.length >= 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.write('error', stack && typeof message === 'string' ? `${message}\n${stack}` : message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
}
