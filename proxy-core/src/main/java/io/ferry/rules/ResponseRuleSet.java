package io.ferry.rules;

import io.ferry.config.MapTable;
import io.ferry.config.RulesConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The response rules of a configuration (HAProxy's http-response rules, nginx's add_header ... always):
 * header edits on every response head that goes to a client — from a backend, the cache, a file or
 * Ferry itself — with conditions on the request, the status and the content type.
 */
public final class ResponseRuleSet {
    public static final ResponseRuleSet EMPTY = new ResponseRuleSet(List.of());

    private final Rule[] rules;

    private ResponseRuleSet(List<Rule> rules) {
        this.rules = rules.toArray(Rule[]::new);
    }

    public static ResponseRuleSet compile(List<RulesConfig.Rule> config, Map<String, MapTable> maps) {
        List<Rule> rules = new ArrayList<>();
        for (RulesConfig.Rule r : config) {
            List<Edit> edits = new ArrayList<>();
            for (RulesConfig.Action a : r.actions()) {
                edits.add(Edit.of(a, maps));
            }
            rules.add(new Rule(r.when() == null ? null : Condition.compile(r.when(), maps), edits.toArray(Edit[]::new)));
        }
        return new ResponseRuleSet(rules);
    }

    public boolean isEmpty() {
        return rules.length == 0;
    }

    public void apply(RequestFacts request, ResponseFacts response, HttpHeaders headers) {
        for (Rule rule : rules) {
            if (rule.when != null && !rule.when.test(request, response)) {
                continue;
            }
            for (Edit e : rule.edits) {
                e.apply(request, response, headers);
            }
        }
    }

    private record Rule(Condition when, Edit[] edits) {
    }

    private interface Edit {
        void apply(RequestFacts q, ResponseFacts r, HttpHeaders headers);

        static Edit of(RulesConfig.Action action, Map<String, MapTable> maps) {
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
            throw new IllegalArgumentException("not a response action: " + action);
        }
    }
}
