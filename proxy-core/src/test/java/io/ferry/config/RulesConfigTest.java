package io.ferry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** rules: what is read, and a one-line error naming the key for every mistake. */
class RulesConfigTest {
    private static FerryConfig parse(String extra) {
        return ConfigLoaderTest.parse(extra);
    }

    private static ConfigError error(String extra) {
        return ConfigLoaderTest.error(extra);
    }

    @Test
    void noRulesByDefault() {
        RulesConfig r = parse("").rules();
        assertTrue(r.request().isEmpty());
        assertTrue(r.response().isEmpty());
        assertEquals(false, r.requestId().enabled());
        assertEquals("X-Request-ID", r.requestId().header());
    }

    @Test
    void aRuleIsReadWithItsConditionAndActionsHeaderEditsFirst() {
        RulesConfig r = parse("""
                rules.request = [
                  { if { path-prefix = "/wp-admin/", not { network = [ "10.0.0.0/8" ] } }, deny = 403,
                    set-header { X-Seen = "$remote_addr" } }
                  { unless { tls = true }, redirect { status = 308, location = "https://$host$request_uri" } }
                ]
                rules.response = [ { if { status = [ 404, "5xx" ] }, del-header = [ X-Powered-By, Server ] } ]
                """).rules();
        RulesConfig.Rule first = r.request().get(0);
        RulesConfig.All all = assertInstanceOf(RulesConfig.All.class, first.when());
        assertEquals(2, all.of().size());
        assertInstanceOf(RulesConfig.SetHeader.class, first.actions().get(0));
        assertEquals(new RulesConfig.Deny(403), first.actions().get(1));
        assertInstanceOf(RulesConfig.Not.class, r.request().get(1).when());
        RulesConfig.Status status = assertInstanceOf(RulesConfig.Status.class, r.response().get(0).when());
        assertEquals(java.util.List.of(404), status.codes());
        assertEquals(java.util.List.of(5), status.classes());
        assertEquals(2, r.response().get(0).actions().size());
    }

    @Test
    void mistakesAreNamed() {
        ConfigError e = error("rules.request = [ { if { path = \"/x\" }, dney = 403 } ]");
        assertEquals("ferry.rules.request[0].dney", e.key());
        assertTrue(e.getMessage().contains("deny"), e.getMessage());

        e = error("rules.request = [ { if { path-regex = \"([a-z\" }, deny = 403 } ]");
        assertEquals("ferry.rules.request[0].if.path-regex", e.key());
        assertTrue(e.getMessage().contains("regular expression"), e.getMessage());

        e = error("rules.request = [ { use-backend = nope } ]");
        assertEquals("ferry.rules.request[0].use-backend", e.key());
        assertTrue(e.getMessage().contains("app"), e.getMessage());

        e = error("rules.request = [ { set-header { X-A = \"$remote_adr\" } } ]");
        assertTrue(e.key().startsWith("ferry.rules.request[0].set-header"), e.key());
        assertTrue(e.getMessage().contains("unknown variable $remote_adr"), e.getMessage());

        e = error("rules.request = [ { deny = 403, use-backend = app } ]");
        assertTrue(e.getMessage().contains("one of deny, redirect, return and use-backend"), e.getMessage());

        e = error("rules.request = [ { if { status = 404 }, deny = 403 } ]");
        assertEquals("ferry.rules.request[0].if.status", e.key());

        e = error("rules.response = [ { deny = 403 } ]");
        assertEquals("ferry.rules.response[0].deny", e.key());

        e = error("rules.request = [ { if { path = \"/x\" } } ]");
        assertTrue(e.getMessage().contains("needs an action"), e.getMessage());

        e = error("rules.request = [ { if { hots = x }, deny = 403 } ]");
        assertEquals("ferry.rules.request[0].if.hots", e.key());

        e = error("rules.request = [ { return { status = 503, file = \"/nonexistent/maintenance.html\" } } ]");
        assertEquals("ferry.rules.request[0].return.file", e.key());

        e = error("rules.request = [ { redirect { status = 200, location = \"/\" } } ]");
        assertEquals("ferry.rules.request[0].redirect.status", e.key());

        e = error("rules.request-id.header = \"X Request\"");
        assertEquals("ferry.rules.request-id.header", e.key());

        e = error("rules.request = [ { redirect { location = \"$map_nope\" } } ]");
        assertEquals("ferry.rules.request[0].redirect.location", e.key());
        assertTrue(e.getMessage().contains("no map named nope"), e.getMessage());

        e = error("rules.maps.legacy.file = \"/nonexistent/legacy.map\"");
        assertEquals("ferry.rules.maps.legacy.file", e.key());

        e = error("rules.request = [ { limit = login } ]");
        assertEquals("ferry.rules.request[0].limit", e.key());
        assertTrue(e.getMessage().contains("no limit named login"), e.getMessage());

        e = error("rules.limits.login { per = 1m }");
        assertEquals("ferry.rules.limits.login.rate", e.key());

        e = error("rules.limits.login { rate = 5, per = 0s }");
        assertEquals("ferry.rules.limits.login.per", e.key());

        e = error("backends.app.sticky.secret = short");
        assertEquals("ferry.backends.app.sticky.secret", e.key());
        e = error("backends.app.hash-cookie = PHPSESSID");
        assertEquals("ferry.backends.app.hash-cookie", e.key());
        assertTrue(e.getMessage().contains("source-hash"), e.getMessage());

        e = error("compression.algorithms = [ gzip, deflate ]");
        assertEquals("ferry.compression.algorithms", e.key());
        e = error("compression.types = [ html ]");
        assertEquals("ferry.compression.types", e.key());
        e = error("compression.gzip-level = 12");
        assertEquals("ferry.compression.gzip-level", e.key());
        e = error("routes = [ { backend = app, compression { brotli-leval = 5 } } ]");
        assertEquals("ferry.routes[0].compression.brotli-leval", e.key());

        e = error("rules.response = [ { set-header { X-A = \"one\\r\\nSet-Cookie: evil=1\" } } ]");
        assertTrue(e.getMessage().contains("CR, LF"), e.getMessage());

        e = error("rules.reqest = []");
        assertEquals("ferry.rules.reqest", e.key());
    }

    @Test
    void templatesKnowNginxVariablesAndGroups() {
        Template t = Template.parse("https://$host${request_uri}?id=$request_id&c=$cookie_sess&$$", false);
        assertEquals(8, t.parts().size(), t.parts().toString());
        assertTrue(Template.parse("/news/$1abc", true).parts().get(1).variable().equals("1"));
        assertThrows(IllegalArgumentException.class, () -> Template.parse("/news/$1", false));
        assertThrows(IllegalArgumentException.class, () -> Template.parse("price $", false));
        assertThrows(IllegalArgumentException.class, () -> Template.parse("${host", false));
    }

    @Test
    void theWordPressExampleIsValidOnceItsDocumentRootExists(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String text = java.nio.file.Files.readString(Path.of("../conf/examples/wordpress.conf"))
                .replace("/usr/share/wordpress", dir.toString());
        FerryConfig c = ConfigLoader.parse(text, Path.of("../conf/examples"));
        assertEquals(7, c.rules().request().size());
        assertEquals("/about/", c.rules().maps().get("legacy").lookup("/about-us.html"));
        assertEquals(5, c.rules().limits().get("login").burst());
        assertEquals(3, c.rules().response().size());
        assertTrue(c.rules().requestId().enabled());
        // the maintenance switch, uncommented, reads its page next to the config
        FerryConfig maintenance = ConfigLoader.parse(text.replace("# { unless", "{ unless"), Path.of("../conf/examples"));
        RulesConfig.Return page = assertInstanceOf(RulesConfig.Return.class, maintenance.rules().request().get(1).actions().get(0));
        assertEquals(503, page.status());
        assertTrue(new String(page.body(), java.nio.charset.StandardCharsets.UTF_8).contains("Back soon"));
    }

    @Test
    void aMapFileIsReadIntoAHashTableAndItsBadLineNamed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path good = java.nio.file.Files.writeString(dir.resolve("hosts.map"), "a.example app   # comment\nb.example  other;\n");
        RulesConfig r = parse("rules.maps.hosts { file = \"" + good + "\", key = \"$host\", default = app }").rules();
        MapTable hosts = r.maps().get("hosts");
        assertEquals("app", hosts.lookup("a.example"));
        assertEquals("other", hosts.lookup("b.example"));
        assertEquals("app", hosts.lookup("c.example"), "the default");
        Path bad = java.nio.file.Files.writeString(dir.resolve("bad.map"), "/ok /fine\n/lonely\n");
        ConfigError e = error("rules.maps.m.file = \"" + bad + "\"");
        assertEquals("ferry.rules.maps.m.file", e.key());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
