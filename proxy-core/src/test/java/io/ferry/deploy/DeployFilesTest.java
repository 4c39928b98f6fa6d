package io.ferry.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.testing.Eventually;
import io.ferry.testing.RawClient;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * What deploy/ holds, tested as far as this machine can (no container registry, no cluster): the
 * Kubernetes manifests parse, their ConfigMap is a valid Ferry config whose admin port and paths the
 * probes use, the VM fleet config is valid, the Containerfile copies what the repository and the build
 * have, and the container's entrypoint runs Ferry from the build and stops it with SIGTERM; the systemd unit's
 * reload is {@code bin/ferry upgrade}, run here for real, which tells systemd the new main process.
 */
class DeployFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A config with one HTTP listener on the port and one backend on a closed port (its requests answer 502). */
    static String oneListenerConf(int port) {
        return """
                ferry {
                  listeners = [ { name = http, bind = "127.0.0.1", port = %d } ]
                  backends.demo.servers = [ "127.0.0.1:9" ]
                  routes = [ { backend = demo } ]
                  timeouts.shutdown = 2s
                }
                """.formatted(port);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> manifests() throws Exception {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object o : new Yaml().loadAll(Files.readString(ROOT.resolve("deploy/kubernetes/ferry.yaml")))) {
            docs.add((Map<String, Object>) o);
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object n = node;
        for (String p : path) {
            n = n instanceof List<?> l ? l.get(Integer.parseInt(p)) : ((Map<String, Object>) n).get(p);
        }
        return (T) n;
    }

    @Test
    void theKubernetesManifestsParseAndUseRealConfigKeys() throws Exception {
        Map<String, Map<String, Object>> byKind = new HashMap<>();
        for (Map<String, Object> doc : manifests()) {
            byKind.put(doc.get("kind") + "/" + at(doc, "metadata", "name"), doc);
        }
        assertEquals(java.util.Set.of("ConfigMap/ferry", "Deployment/ferry", "Service/ferry-peers", "Service/ferry",
                "PodDisruptionBudget/ferry"), byKind.keySet());
        String conf = at(byKind.get("ConfigMap/ferry"), "data", "ferry.conf");
        // the pod's address comes from the environment (POD_IP); as Kubernetes would set it:
        FerryConfig c = ConfigLoader.parse(conf.replace("${POD_IP}", "\"10.0.0.5\""), dir);
        assertEquals(new InetSocketAddress("10.0.0.5", 8000), c.cluster().self());
        assertTrue(c.backends().get("ferry-peers").servers().get(0).isDiscovered(), "peers found through DNS");
        assertTrue(c.backends().get("ferry-peers").servers().get(0).name().startsWith("ferry-peers."),
                "the headless Service's name");
        Map<String, Object> container = at(byKind.get("Deployment/ferry"), "spec", "template", "spec", "containers", "0");
        List<Map<String, Object>> ports = at(container, "ports");
        int admin = ports.stream().filter(p -> "admin".equals(p.get("name"))).map(p -> (Integer) p.get("containerPort"))
                .findFirst().orElseThrow();
        assertEquals(c.admin().port(), admin, "the probes' port is the config's admin port");
        assertEquals("/ready", at(container, "readinessProbe", "httpGet", "path"));
        assertEquals("/health", at(container, "livenessProbe", "httpGet", "path"));
        assertEquals("status.podIP", at(container, "env", "0", "valueFrom", "fieldRef", "fieldPath"));
        assertEquals("/etc/ferry", at(container, "volumeMounts", "0", "mountPath"), "where the entrypoint reads ferry.conf");
        int grace = at(byKind.get("Deployment/ferry"), "spec", "template", "spec", "terminationGracePeriodSeconds");
        assertTrue(grace > c.timeouts().shutdown().toSeconds() + 5, "room for the preStop pause and the drain");
        assertEquals("None", at(byKind.get("Service/ferry-peers"), "spec", "clusterIP"));
    }

    @Test
    void theVmFleetConfigIsValid() {
        FerryConfig c = ConfigLoader.load(ROOT.resolve("deploy/vm/ferry-fleet.conf"));
        assertEquals(2, c.backends().get("ferry-peers").servers().size(), "the two other VMs");
    }

    @Test
    void theContainerfileCopiesWhatTheRepositoryAndTheBuildHave() throws Exception {
        List<String> lines = Files.readAllLines(ROOT.resolve("deploy/container/Containerfile"));
        int copies = 0;
        for (String line : lines) {
            if (line.startsWith("COPY ")) {
                String source = line.split("\\s+")[1];
                copies++;
                if (source.equals("proxy-core/target/ferry.jar")) {
                    String pom = Files.readString(ROOT.resolve("proxy-core/pom.xml"));
                    assertTrue(pom.contains("<finalName>ferry</finalName>"), "the build makes ferry.jar");
                } else {
                    assertTrue(Files.exists(ROOT.resolve(source)), source);
                }
            }
        }
        assertEquals(3, copies); // the jar, ferry.conf, the entrypoint (the application log is built in)
        assertTrue(lines.contains("USER ferry"), "not root");
        assertTrue(lines.contains("STOPSIGNAL SIGTERM"));
    }

    @Tag("external")
    @Test
    void theEntrypointRunsFerryAndSigtermStopsIt() throws Exception {
        int port = freePort();
        Path conf = dir.resolve("ferry.conf");
        Files.writeString(conf, oneListenerConf(port));
        ProcessBuilder pb = new ProcessBuilder("sh", ROOT.resolve("deploy/container/entrypoint.sh").toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.log").toFile());
        pb.environment().put("FERRY_CONF", conf.toString());
        pb.environment().put("FERRY_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("FERRY_LOGBACK", ROOT.resolve("conf/logback-example.xml").toString());
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        Process p = pb.start();
        try {
            Eventually.until("ferry listening", 30, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException(Files.readString(dir.resolve("out.log")));
                }
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            try (RawClient c = new RawClient(port)) {
                assertTrue(c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status() > 0);
            }
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor(),
                    "the entrypoint exec'd java: its pid is the JVM's");
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
            String out = Files.readString(dir.resolve("out.log"));
            assertTrue(out.contains("Ferry stopped"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theUpgradeUnitReloadsWithBinFerryUpgrade() throws Exception {
        Map<String, String> unit = new HashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("deploy/systemd/ferry.service"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                unit.merge(line.substring(0, eq), line.substring(eq + 1), (a, b) -> a + "\n" + b);
            }
        }
        assertEquals("/opt/ferry/bin/ferry upgrade /opt/ferry/conf/ferry.conf", unit.get("ExecReload"));
        assertEquals("all", unit.get("NotifyAccess"), "MAINPID comes from the reload's process, not the main one");
        assertEquals("notify", unit.get("Type"), "Ferry says READY=1 once its listeners are open");
        assertEquals(String.valueOf(ConfigLoader.load(ROOT.resolve("conf/ferry.conf")).global().jitPriority()),
                unit.get("LimitNICE"), "the unprivileged user may give the compilers global.jit-priority's nice");
        String socket = unit.get("Environment").replaceAll(".*-Dferry.global.handover-socket=(\\S+).*", "$1");
        assertEquals("/run/" + unit.get("RuntimeDirectory") + "/handover.sock", socket);
        Path conf = dir.resolve("unit.conf"); // the unit's config with the socket where this machine lets us put it
        Files.writeString(conf, Files.readString(ROOT.resolve("conf/ferry.conf")).replace("handover-socket = \"\"",
                "handover-socket = \"" + dir.resolve("h.sock") + "\""));
        assertEquals(dir.resolve("h.sock").toString(), ConfigLoader.load(conf).global().handoverSocket());
    }

    /**
     * bin/ferry upgrade as ExecReload runs it: returns 0 once the new process accepts, prints its pid, the new
     * process tells NOTIFY_SOCKET it is ready and the main process, and the old one drains and exits by itself.
     */
    @Test
    @Tag("external")
    void binFerryUpgradeReplacesTheRunningProcessAndTellsSystemd() throws Exception {
        int port = freePort();
        Path conf = dir.resolve("ferry.conf");
        Files.writeString(conf, """
                ferry {
                  global { handover-socket = "%s", warm-up = 0s }
                  listeners = [ { name = http, bind = "127.0.0.1", port = %d } ]
                  backends.demo.servers = [ "127.0.0.1:9" ]
                  routes = [ { backend = demo } ]
                  access-log.enabled = false
                  timeouts.shutdown = 5s
                }
                """.formatted(dir.resolve("h.sock"), port));
        ProcessBuilder old = new ProcessBuilder("bash", ROOT.resolve("bin/ferry").toString(), conf.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("old.log").toFile());
        old.environment().put("FERRY_CLASSPATH", System.getProperty("java.class.path"));
        Process running = old.start();
        Long newPid = null;
        io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.epoll.EpollIoHandler.newFactory());
        try {
            Eventually.until("ferry listening", 30, () -> {
                if (!running.isAlive()) {
                    throw new IllegalStateException(Files.readString(dir.resolve("old.log")));
                }
                return io.ferry.testing.Listening.on(port);
            });
            java.util.concurrent.BlockingQueue<String> notified = new java.util.concurrent.LinkedBlockingQueue<>();
            Path notifySocket = dir.resolve("notify.sock");
            new io.netty.bootstrap.Bootstrap().group(group).channel(io.netty.channel.epoll.EpollDomainDatagramChannel.class)
                    .handler(new io.netty.channel.SimpleChannelInboundHandler<io.netty.channel.unix.DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx,
                                                    io.netty.channel.unix.DomainDatagramPacket p) {
                            notified.add(p.content().toString(java.nio.charset.StandardCharsets.UTF_8));
                        }
                    }).bind(new io.netty.channel.unix.DomainSocketAddress(notifySocket.toFile())).sync();

            ProcessBuilder upgrade = new ProcessBuilder("bash", ROOT.resolve("bin/ferry").toString(), "upgrade",
                    conf.toString()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("upgrade.log").toFile());
            upgrade.environment().put("FERRY_CLASSPATH", System.getProperty("java.class.path"));
            upgrade.environment().put("NOTIFY_SOCKET", notifySocket.toString());
            Process script = upgrade.start();
            assertTrue(script.waitFor(90, TimeUnit.SECONDS), "bin/ferry upgrade returns");
            String said = Files.readString(dir.resolve("upgrade.log"));
            assertEquals(0, script.exitValue(), said);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("upgraded: process (\\d+) accepts").matcher(said);
            assertTrue(m.find(), said);
            newPid = Long.parseLong(m.group(1));
            assertTrue(running.waitFor(30, TimeUnit.SECONDS), "the old process drained and exited");
            assertEquals(0, running.exitValue());
            assertEquals("READY=1\nMAINPID=" + newPid, notified.poll(10, TimeUnit.SECONDS),
                    "systemd told the new main process");
            try (RawClient c = new RawClient(port)) {
                assertTrue(c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status() > 0, "the new one answers");
            }
        } finally {
            running.destroyForcibly();
            if (newPid != null) {
                ProcessHandle.of(newPid).ifPresent(ProcessHandle::destroy);
                ProcessHandle.of(newPid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
            }
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /**
     * The JVM options bin/ferry and the container's entrypoint give Ferry, read from a {@code java} on PATH that
     * writes its arguments down: the inlining limits (unless FERRY_JIT_LIMITS=off or JAVA_OPTS sets either
     * flag), Netty's direct memory without the JDK's Cleaner (unless JAVA_OPTS decides), the leak detector and Netty's
     * allocator JFR events off.
     */
    @Test
    void bothLaunchersPassTheirJvmOptionsUnlessToldOtherwise() throws Exception {
        Path args = dir.resolve("args");
        Path bin = fakeJava(args);
        String limits = "-XX:FreqInlineSize=150,-XX:InlineSmallCode=1000";
        for (String launcher : List.of("bin/ferry", "deploy/container/entrypoint.sh")) {
            List<String> given = launch(launcher, bin, args, Map.of());
            assertTrue(String.join(",", given).contains(limits), launcher + ": " + given);
            assertTrue(given.contains("-Dio.netty.leakDetection.level=disabled"), launcher + ": " + given);
            assertTrue(given.contains("-Dio.netty.jfr.enabled=false"), launcher + ": " + given);
            List<String> jfr = launch(launcher, bin, args, Map.of("JAVA_OPTS", "-Dio.netty.jfr.enabled=true"));
            assertTrue(jfr.contains("-Dio.netty.jfr.enabled=true") && !jfr.contains("-Dio.netty.jfr.enabled=false"),
                    launcher + " with JAVA_OPTS: " + jfr);
            assertTrue(given.contains("-Dio.netty.tryReflectionSetAccessible=true")
                    && given.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), launcher + ": " + given);
            List<String> cleaner = launch(launcher, bin, args,
                    Map.of("JAVA_OPTS", "-Dio.netty.tryReflectionSetAccessible=false"));
            assertTrue(cleaner.stream().noneMatch(a -> a.startsWith("--add-opens")), launcher + ": " + cleaner);
            List<String> off = launch(launcher, bin, args, Map.of("FERRY_JIT_LIMITS", "off"));
            assertTrue(off.stream().noneMatch(a -> a.contains("Inline")), launcher + " with FERRY_JIT_LIMITS=off: " + off);
            List<String> own = launch(launcher, bin, args, Map.of("JAVA_OPTS", "-XX:FreqInlineSize=200"));
            assertEquals(1, own.stream().filter(a -> a.contains("Inline")).count(), launcher + " with JAVA_OPTS: " + own);
            assertTrue(own.contains("-XX:FreqInlineSize=200"), launcher + " with JAVA_OPTS: " + own);
        }
    }

    /** A directory with a {@code java} that writes its arguments to {@code args}, one per line, for PATH. */
    private Path fakeJava(Path args) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + args + "'\n");
        assertTrue(java.toFile().setExecutable(true));
        return bin;
    }

    private List<String> launch(String launcher, Path bin, Path args, Map<String, String> env) throws Exception {
        Files.deleteIfExists(args);
        ProcessBuilder pb = new ProcessBuilder(launcher.endsWith(".sh") ? "sh" : "bash", ROOT.resolve(launcher).toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("launch.log").toFile());
        pb.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
        pb.environment().put("FERRY_CLASSPATH", "unused.jar");
        pb.environment().remove("JAVA_OPTS");
        pb.environment().remove("FERRY_JIT_LIMITS");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), launcher + " returns");
        assertEquals(0, p.exitValue(), launcher + ": " + Files.readString(dir.resolve("launch.log")));
        return Files.readAllLines(args);
    }
}
