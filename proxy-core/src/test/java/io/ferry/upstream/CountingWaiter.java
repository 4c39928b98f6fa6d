package io.ferry.upstream;

/** A queued request in a test: counts its wake-ups, as an exchange's QueueSlot would be scheduled by them. */
final class CountingWaiter implements SlotWaiter {
    int wakes;

    @Override
    public boolean wake() {
        wakes++;
        return true;
    }
}
