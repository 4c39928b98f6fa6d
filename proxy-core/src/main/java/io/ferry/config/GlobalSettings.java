package io.ferry.config;

/**
 * Process-wide settings.
 *
 * @param ioThreads      event-loop threads; 0 means one per core
 * @param transport      which Netty transport to use
 * @param maxConnections client connections accepted at once over all listeners (HAProxy's maxconn)
 * @param via            the pseudonym this proxy adds to {@code Via} headers
 * @param stateFile      where server state (drain, health, servers added or removed over the admin API) is
 *                       kept across restarts (HAProxy's server-state-file); empty for none
 * @param warmUp         how long Ferry runs its own request path on loopback before the listeners open, on a
 *                       cold start and on an upgrade, so the first clients meet loaded, partly compiled code
 * @param jitPriority    the nice value the JVM's JIT compiler threads get once the listeners are open, so they
 *                       finish compiling the request path sooner under load; 0 leaves them alone
 * @param jitPriorityFor how long the compilers keep {@code jitPriority}; zero for good
 * @param jitSteadyPriority the nice value the compilers get after that, so a recompilation (a new kind of
 *                       traffic) does not take the core from the event loops; 0 with {@code jitPriority} 0
 *                       leaves them alone
 * @param gcPriority     the nice value of the threads doing the JVM's stop-the-world work (collector workers, the
 *                       VM thread): no event loop runs while they do; 0 leaves them alone
 * @param handoverSocket a unix socket on which a successor ({@code ferry --upgrade}) takes the listening sockets
 *                       and a copy of the cache, then stops this process; empty for none
 */
public record GlobalSettings(int ioThreads, TransportKind transport, int maxConnections, String via,
                             String stateFile, WarmUpSetting warmUp, int jitPriority,
                             java.time.Duration jitPriorityFor, int jitSteadyPriority, int gcPriority,
                             String handoverSocket) {
}
