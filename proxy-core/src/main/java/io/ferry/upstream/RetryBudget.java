package io.ferry.upstream;

/**
 * Retries allowed as a share of requests (Finagle's retry budget): every request deposits
 * {@code share} of a retry, every retry withdraws one. A small reserve lets a quiet backend retry at
 * all; the cap keeps a long healthy period from saving up a storm. One per backend per event loop.
 */
public final class RetryBudget {
    private static final int SCALE = 1000;
    private static final int RESERVE = 10 * SCALE;
    private static final int CAP = 100 * SCALE;

    private final int deposit;
    private int balance = RESERVE;

    RetryBudget(double share) {
        this.deposit = (int) Math.round(share * SCALE);
    }

    public void onRequest() {
        if (balance < CAP) {
            balance = Math.min(CAP, balance + deposit);
        }
    }

    /** Withdraws one retry; false when the budget is spent. */
    public boolean tryRetry() {
        if (balance < SCALE) {
            return false;
        }
        balance -= SCALE;
        return true;
    }
}
