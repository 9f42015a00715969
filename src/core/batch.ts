// A microbatch model's compiled SQL names its batch's window with these two literals (inside timestamp
// '...' literals); each batch replaces them with its start and end. Compile writes them, materialize fills them.
export const BATCH_START = '__SPARKIFY_BATCH_START__';
export const BATCH_END = '__SPARKIFY_BATCH_END__';
