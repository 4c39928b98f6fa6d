package io.ferry.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.OriginProcess;
import io.ferry.testing.RawClient;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/ferry on a real JDK 25 (where one is installed: FERRY_TEST_JDK25, else the first JDK 25+ under /usr/lib/jvm):
 * the first run, stopped with SIGTERM, leaves an AOT cache next to the jar; the next run starts with it (the JVM maps
 * the file) and serves; neither prints a warning of the JVM's. The jar is this build's classes and dependencies
 * behind a manifest class path, in a tree of its own with a copy of the script.
 */
@Tag("external")
class AotCacheProcessTest {
    @TempDir
    Path dir;

    @Test
    void theFirstRunMakesTheCacheAndTheNextStartsWithIt() throws Exception {
        Optional<Path> jdk = jdk25();
        Assumptions.assumeTrue(jdk.isPresent(), "no JDK 25+ here (FERRY_TEST_JDK25 or /usr/lib/jvm)");
        Path tree = dir.resolve("ferry");
        Files.createDirectories(tree.resolve("bin"));
        Files.copy(Path.of("..").toAbsolutePath().normalize().resolve("bin/ferry"), tree.resolve("bin/ferry"));
        Path jar = buildJar(tree.resolve("proxy-core/target"));
        Path aot = Path.of(jar + ".aot");
        int port = OriginProcess.freePort();
        Path conf = dir.resolve("ferry.conf");
        Files.writeString(conf, DeployFilesTest.oneListenerConf(port));

        String first = run(tree, jdk.get(), conf, port, "first", false);
        assertTrue(Files.size(aot) > 1_000_000, "the cache was written: " + first);
        String second = run(tree, jdk.get(), conf, port, "second", true);
        for (String out : List.of(first, second)) {
            assertTrue(!out.contains("WARNING"), "no JVM warning: " + out);
        }
    }

    /** Runs bin/ferry until it answers, checks whether the JVM mapped the AOT cache, stops it; its output. */
    private String run(Path tree, Path jdk, Path conf, int port, String name, boolean cacheMapped) throws Exception {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", tree.resolve("bin/ferry").toString(), conf.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().put("JAVA_OPTS", "-Xmx256m -Dferry.global.warm-up=0s");
        pb.environment().remove("FERRY_CLASSPATH");
        pb.environment().remove("FERRY_CDS");
        Process p = pb.start();
        try {
            Eventually.until(name + " run listening", 60, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException(Files.readString(log));
                }
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            try (RawClient c = new RawClient(port)) {
                assertEquals(502, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status(),
                        "it serves (its backend is a closed port)");
            }
            String maps = Files.readString(Path.of("/proc/" + p.pid() + "/maps"));
            assertEquals(cacheMapped, maps.contains("ferry.jar.aot"), name + ": the AOT cache mapped");
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            // the first run's JVM assembles the cache before it exits
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), name + " run stopped");
            return Files.readString(log);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * proxy-core/target/ferry.jar as a manifest naming the main class and a class path: this build's class
     * directories as jars (the JVM archives classes from jars only) and its dependencies' jars, linked.
     */
    private Path buildJar(Path target) throws IOException {
        Path lib = Files.createDirectories(target.resolve("lib"));
        List<String> classPath = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (p.endsWith("test-classes") || !Files.exists(p)) {
                continue;
            }
            Path in = lib.resolve((n++) + "-" + p.getFileName() + (Files.isDirectory(p) ? ".jar" : ""));
            if (Files.isDirectory(p)) {
                jarUp(p, in);
            } else {
                Files.createSymbolicLink(in, p);
            }
            classPath.add("lib/" + in.getFileName());
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.ferry.Ferry");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        Path jar = target.resolve("ferry.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        return jar;
    }

    private static void jarUp(Path classes, Path jar) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    private static Optional<Path> jdk25() throws IOException {
        String given = System.getenv("FERRY_TEST_JDK25");
        if (given != null && !given.isEmpty()) {
            return Optional.of(Path.of(given));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> feature(h) >= 25 && Files.isExecutable(h.resolve("bin/java"))).sorted().findFirst();
        }
    }

    private static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=\"")) {
                    String v = line.substring("JAVA_VERSION=\"".length());
                    int end = 0;
                    while (end < v.length() && Character.isDigit(v.charAt(end))) {
                        end++;
                    }
                    return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
