package io.ferry.exchange;

/** What a phase decides: the next phase runs, or the exchange has been answered or now waits for something. */
enum Next {
    /** On to the next phase (after the last request phase, the origin). */
    CONTINUE,
    /** Answered (or given up): no further phase runs. */
    ANSWERED,
    /** Waiting for an event (another's cache fetch, a whole request body) that resumes the exchange itself. */
    WAIT
}
