package io.ferry.config;

import java.time.Duration;

/**
 * {@code global.warm-up}: how long Ferry runs its own request path before its listeners open, on a cold start and
 * on an upgrade. {@code auto} (the default) warms up only on an upgrade, where the predecessor serves meanwhile: on a
 * cold start nothing serves until the port opens, and the port opening ~0.4 s sooner serves more than the warm-up
 * buys (BENCHMARKS.md, "The warm-up's price"). A duration applies to both.
 *
 * @param onStart   on a cold start; zero for none
 * @param onUpgrade on {@code ferry --upgrade}, taking the listening sockets over; zero for none
 */
public record WarmUpSetting(Duration onStart, Duration onUpgrade) {
    /** What {@code auto} means on an upgrade. */
    public static final Duration UPGRADE_DEFAULT = Duration.ofMillis(200);
    public static final WarmUpSetting AUTO = new WarmUpSetting(Duration.ZERO, UPGRADE_DEFAULT);

    public static WarmUpSetting always(Duration d) {
        return new WarmUpSetting(d, d);
    }

    /** The warm-up of this start: an upgrade or not. */
    public Duration forStart(boolean upgrade) {
        return upgrade ? onUpgrade : onStart;
    }
}
