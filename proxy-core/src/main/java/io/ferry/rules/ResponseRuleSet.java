package io.ferry.rules;

import io.ferry.config.MapTable;
import io.ferry.config.RulesConfig;
import io.netty.handler.codec.http.HttpHeaders;
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
            List<HeaderEdit> edits = new ArrayList<>();
            for (RulesConfig.Action a : r.actions()) {
                HeaderEdit edit = HeaderEdit.of(a, maps);
                if (edit == null) {
                    throw new IllegalArgumentException("not a response action: " + a);
                }
                edits.add(edit);
            }
            rules.add(new Rule(r.when() == null ? null : Condition.compile(r.when(), maps), edits.toArray(HeaderEdit[]::new)));
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
            for (HeaderEdit e : rule.edits) {
                e.apply(request, response, headers);
            }
        }
    }

    private record Rule(Condition when, HeaderEdit[] edits) {
    }
}
