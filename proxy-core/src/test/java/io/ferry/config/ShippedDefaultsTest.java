package io.ferry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * conf/ferry.conf is the reference for every default (README says so): what it writes must be what a
 * config that leaves the key out gets. The built-in defaults (a config with only the required keys)
 * and the shipped file are loaded and compared section by section; the only difference allowed is one
 * the file marks as deliberate.
 */
class ShippedDefaultsTest {
    private static final Path SHIPPED = Path.of("..", "conf", "ferry.conf");

    @Test
    void theShippedFileWritesTheDefaultsOfTheCode() throws Exception {
        FerryConfig file = ConfigLoader.load(SHIPPED);
        FerryConfig code = ConfigLoader.parse("""
                ferry {
                  listeners = [ { name = http, port = 8000 } ]
                  backends.demo.servers = [ "127.0.0.1:8081" ]
                  routes = [ { backend = demo } ]
                }
                """, Path.of("."));
        List<String> differ = new ArrayList<>();
        compare(differ, "global", file.global(), code.global());
        compare(differ, "timeouts", file.timeouts(), code.timeouts());
        compare(differ, "limits", file.limits(), code.limits());
        compare(differ, "http2", file.http2(), code.http2());
        compare(differ, "backends.demo", file.backends().get("demo"), code.backends().get("demo"));
        compare(differ, "routes", file.routes(), code.routes());
        compare(differ, "cache", file.cache(), code.cache());
        compare(differ, "admin", file.admin(), new AdminConfig(true, code.admin().bind(), code.admin().port(),
                code.admin().allow(), code.admin().token()));
        compare(differ, "access-log", file.accessLog(), code.accessLog());
        compare(differ, "real-ip", file.realIp(), code.realIp());
        // The deliberate differences (admin above, demo here), and the file says so beside each key.
        compare(differ, "demo", file.demo(), new DemoConfig(true, code.demo().bind(), code.demo().port()));
        assertEquals(List.of(), differ, "conf/ferry.conf and the code disagree on these defaults");
        assertTrue(!code.demo().enabled() && file.demo().enabled());
        assertTrue(!code.admin().enabled() && file.admin().enabled());
        String text = Files.readString(SHIPPED);
        for (String section : new String[] {"\n  demo {", "\n  admin {"}) {
            int at = text.indexOf(section);
            assertTrue(text.substring(at, text.indexOf("enabled = true", at)).contains("Deliberately"),
                    "conf/ferry.conf marks " + section.trim() + " enabled as a deliberate difference");
        }
    }

    private static void compare(List<String> differ, String section, Object file, Object code) {
        if (file instanceof Map<?, ?> || !java.util.Objects.equals(file, code)) {
            if (!java.util.Objects.equals(file, code)) {
                differ.add(section + ": file " + file + "\n    code " + code);
            }
        }
    }
}
