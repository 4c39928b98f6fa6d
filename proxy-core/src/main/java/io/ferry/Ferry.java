package io.ferry;

import io.ferry.config.ConfigError;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.server.FerryServer;
import io.ferry.transport.StartupError;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Command line: {@code ferry [--check | --upgrade] [config-file]} (default {@code conf/ferry.conf}).
 * Exit codes: 0 ok, 1 could not start, 2 invalid configuration, 64 bad usage.
 */
public final class Ferry {
    private Ferry() {
    }

    /**
     * SIGHUP re-reads the config file, as for HAProxy and nginx; an invalid file keeps the old config.
     * Installed before the listeners open, so a signal in the first moments cannot take the JVM's default
     * action (exit); until the server is up there is nothing to reload and it is ignored.
     */
    private static void reloadOnSighup(java.util.function.Supplier<FerryServer> current) {
        Logger log = LoggerFactory.getLogger(Ferry.class);
        try {
            SignalHandler before = Signal.handle(new Signal("HUP"), signal -> {
                FerryServer server = current.get();
                if (server == null) {
                    log.warn("SIGHUP while starting: ignored");
                    return;
                }
                try {
                    server.reloadFromSource();
                } catch (ConfigError e) {
                    log.error("reload failed, keeping the running configuration: {}", e.getMessage());
                } catch (RuntimeException e) {
                    log.error("reload failed, keeping the running configuration", e);
                }
            });
            if (before == SignalHandler.SIG_IGN) {
                // The JVM keeps a SIGHUP that was ignored at start ignored (nohup does that) and takes no handler.
                log.warn("SIGHUP is ignored in this process (started under nohup?), so it cannot reload the config:"
                        + " reload through the admin listener (POST /reload), or start Ferry without nohup");
            }
        } catch (IllegalArgumentException e) {
            log.warn("SIGHUP is not available on this platform; reload through the admin listener instead");
        }
        try {
            Signal.handle(new Signal("USR1"), signal -> { // logrotate
                FerryServer server = current.get();
                if (server != null) {
                    server.reopenAccessLog();
                }
            });
        } catch (IllegalArgumentException e) {
            log.warn("SIGUSR1 is not available on this platform; reopen logs through the admin listener instead");
        }
    }

    /**
     * FERRY_READY_FILE (set by bin/ferry upgrade): this process's id is written there once it accepts, so the
     * script knows the upgrade went through (and can tell systemd the new main process).
     */
    private static void announceReady() {
        String file = System.getenv("FERRY_READY_FILE");
        if (file != null && !file.isEmpty()) {
            try {
                java.nio.file.Files.writeString(Path.of(file), ProcessHandle.current().pid() + "\n");
            } catch (java.io.IOException e) {
                LoggerFactory.getLogger(Ferry.class).warn("cannot write FERRY_READY_FILE {}: {}", file, e.getMessage());
            }
        }
    }

    public static void main(String[] args) {
        boolean check = false;
        boolean upgrade = false;
        String file = "conf/ferry.conf";
        for (String arg : args) {
            switch (arg) {
                case "--check", "-c" -> check = true;
                case "--upgrade" -> upgrade = true;
                case "--help", "-h" -> {
                    System.out.println("usage: ferry [--check | --upgrade] [config-file]   (default: conf/ferry.conf)\n"
                            + "  --check     validate the configuration (including TLS material) and exit\n"
                            + "  --upgrade   take over from the Ferry running on global.handover-socket: its listening\n"
                            + "              sockets and cache; it then drains and exits (bin/ferry upgrade)");
                    return;
                }
                default -> {
                    if (arg.startsWith("-")) {
                        System.err.println("ferry: unknown option " + arg + " (try --help)");
                        System.exit(64);
                    }
                    file = arg;
                }
            }
        }
        FerryConfig config;
        try {
            config = ConfigLoader.load(Path.of(file));
            if (check) {
                FerryServer.validate(config);
                System.out.println("ferry: configuration " + file + " is valid");
                return;
            }
        } catch (ConfigError e) {
            System.err.println("ferry: invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            java.util.concurrent.atomic.AtomicReference<FerryServer> running = new java.util.concurrent.atomic.AtomicReference<>();
            reloadOnSighup(running::get);
            FerryServer server = upgrade ? FerryServer.takeOver(config) : FerryServer.start(config);
            server.afterHandOver(() -> System.exit(0)); // a successor took over and this one has drained
            running.set(server);
            announceReady();
            // systemd (Type=notify): the listeners are open; after an upgrade this process is the main one now
            io.ferry.server.SystemdNotify.send("READY=1\nMAINPID=" + ProcessHandle.current().pid());
            Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "ferry-shutdown"));
        } catch (ConfigError e) {
            System.err.println("ferry: invalid configuration: " + e.getMessage());
            System.exit(2);
        } catch (StartupError e) {
            System.err.println("ferry: cannot start: " + e.getMessage());
            System.exit(1);
        }
    }
}
