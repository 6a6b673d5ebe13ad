/** Tokens never reach a log, an error message, a comment or a plan file (the shared helper is src/model/redact.ts). */
export { redact } from '../model/redact.js';
