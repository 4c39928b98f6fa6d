package io.ferry.upstream;

/** A queued request in a test: counts its wake-ups, as an exchange's QueueSlot would be scheduled by them. */
final class CountingWaiter implements SlotWaiter {
    volatile int wakes; // a timer thread may wake it

    @Override
    public boolean wake() {
        wakes++;
        return true;
    }
}
