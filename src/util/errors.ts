// One error type for everything a user can fix (bad input, missing files, missing libtorch).
// The CLI prints `disranker: <message>` for these and a stack trace only for unexpected errors.

export type ErrorCode =
  | 'DR_ERR_INPUT' // malformed input data: file, line and field are in the message
  | 'DR_ERR_FILE' // a file or folder is missing or unreadable
  | 'DR_ERR_ENGINE_MISSING' // the libtorch addon is not built
  | 'DR_ERR_ENGINE' // libtorch raised an error
  | 'DR_ERR_TENSOR' // misuse of a tensor (disposed, wrong dtype or shape)
  | 'DR_ERR_MODEL' // a model folder is incomplete or does not match its config
  | 'DR_ERR_CHECKPOINT' // a checkpoint is corrupt or was made with other settings
  | 'DR_ERR_NONFINITE' // training met a NaN/inf loss or gradient
  | 'DR_ERR_DISTRIBUTED' // a distributed peer was lost, timed out, or distributed support is missing
  | 'DR_ERR_USAGE'; // bad command-line usage

export class DisrankerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DisrankerError';
    this.code = code;
  }
}

/** An error at a place in an input file: `file:line: field: what is wrong`. */
export class InputError extends DisrankerError {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(file: string, line: number | undefined, field: string | undefined, what: string) {
    const where = line === undefined ? file : `${file}:${line}`;
    super('DR_ERR_INPUT', field ? `${where}: ${field}: ${what}` : `${where}: ${what}`);
    this.name = 'InputError';
    this.file = file;
    this.line = line;
    this.field = field;
  }
}
