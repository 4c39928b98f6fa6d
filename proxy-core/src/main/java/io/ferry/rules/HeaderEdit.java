package io.ferry.rules;

import io.ferry.config.MapTable;
import io.ferry.config.RulesConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Map;

/** A compiled set-header, add-header or del-header, on a request's headers or a response's alike. */
interface HeaderEdit {
    /** @param r the response for response rules, else null */
    void apply(RequestFacts q, ResponseFacts r, HttpHeaders headers);

    /** The edit of {@code action}, or null when it is not a header edit. */
    static HeaderEdit of(RulesConfig.Action action, Map<String, MapTable> maps) {
        if (action instanceof RulesConfig.SetHeader set) {
            AsciiString name = AsciiString.cached(set.name());
            Renderer value = new Renderer(set.value(), maps);
            return (q, r, h) -> h.set(name, value.render(q, r, null));
        }
        if (action instanceof RulesConfig.AddHeader add) {
            AsciiString name = AsciiString.cached(add.name());
            Renderer value = new Renderer(add.value(), maps);
            return (q, r, h) -> h.add(name, value.render(q, r, null));
        }
        if (action instanceof RulesConfig.DelHeader del) {
            AsciiString name = AsciiString.cached(del.name());
            return (q, r, h) -> h.remove(name);
        }
        return null;
    }
}
