package io.ferry.rules;

import io.ferry.config.MapTable;
import io.ferry.config.RulesConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * The request rules of a configuration, compiled once per load and run in order on each request before
 * routing (HAProxy's http-request rules, nginx's rewrite phase): header edits apply as they come; the
 * first rule that answers (deny, redirect, return) or picks a backend (use-backend) ends them.
 */
public final class RequestRuleSet {
    public static final RequestRuleSet EMPTY = new RequestRuleSet(List.of());

    private final Rule[] rules;

    private RequestRuleSet(List<Rule> rules) {
        this.rules = rules.toArray(Rule[]::new);
    }

    public static RequestRuleSet compile(List<RulesConfig.Rule> config, Map<String, MapTable> maps) {
        return compile(config, maps, Map.of(), Map.of());
    }

    /** @param limiters the limits' tables by name ({@link #limiters}), kept across reloads by the caller */
    public static RequestRuleSet compile(List<RulesConfig.Rule> config, Map<String, MapTable> maps,
                                         Map<String, Limiter> limiters, Map<String, BasicAuth> auth) {
        List<Rule> rules = new ArrayList<>();
        for (RulesConfig.Rule r : config) {
            rules.add(new Rule(r.name(), r.when() == null ? null : Condition.compile(r.when(), maps),
                    r.actions().stream().map(a -> Step.of(a, maps, limiters, auth)).toArray(Step[]::new)));
        }
        return new RequestRuleSet(rules);
    }

    /**
     * The tables of {@code limits}: those of {@code previous} whose settings are unchanged (a reload keeps
     * what they counted), new ones for the rest.
     */
    public static Map<String, Limiter> limiters(Map<String, RulesConfig.Limit> limits, Map<String, Limiter> previous) {
        Map<String, Limiter> out = new java.util.HashMap<>();
        limits.forEach((name, limit) -> {
            Limiter kept = previous.get(name);
            Renderer key = new Renderer(limit.key(), Map.of());
            out.put(name, kept != null && kept.config().equals(limit) ? kept
                    : limit.concurrent() > 0 ? new ConcurrencyLimiter(limit, key) : new RateLimiter(limit, key));
        });
        return Map.copyOf(out);
    }

    public boolean isEmpty() {
        return rules.length == 0;
    }

    /** Runs the rules on {@code request}; null when none ended them (the request goes on to routing). */
    public Outcome apply(RequestTarget request) {
        return apply(request, 0, 0);
    }

    /** Runs the rules from step {@code fromStep} of rule {@code fromRule} (after a credential check passed). */
    public Outcome apply(RequestTarget request, int fromRule, int fromStep) {
        for (int r = fromRule; r < rules.length; r++) {
            Rule rule = rules[r];
            int first = r == fromRule ? fromStep : 0;
            if (first == 0 && rule.when != null && !rule.when.test(request, null)) {
                continue;
            }
            for (int s = first; s < rule.steps.length; s++) {
                Outcome o = rule.steps[s].run(rule.name, request);
                if (o != null) {
                    if (o.kind() == Outcome.Kind.CHECKING) { // where to go on once the check passes
                        Outcome.Resume at = o.resume();
                        return new Outcome(o.kind(), o.rule(), 0, null, null, null, null, 0,
                                new Outcome.Resume(at.check(), r, s + 1, at.realm()));
                    }
                    return o;
                }
            }
        }
        return null;
    }

    /**
     * The user lists of {@code config}: each file was read with the config; the lists whose users and
     * realm are unchanged keep their remembered credentials across a reload.
     */
    public static Map<String, BasicAuth> auth(Map<String, RulesConfig.Users> config, Map<String, BasicAuth> previous) {
        Map<String, BasicAuth> out = new java.util.HashMap<>();
        config.forEach((name, users) -> {
            BasicAuth kept = previous.get(name);
            out.put(name, kept != null && kept.users().bcryptByUser().equals(users.bcryptByUser())
                    && kept.realm().equals(users.realm()) ? kept : new BasicAuth(users));
        });
        return Map.copyOf(out);
    }

    private record Rule(String name, Condition when, Step[] steps) {
    }

    /** One compiled action; returns an outcome when it ends the rules. */
    private interface Step {
        Outcome run(String rule, RequestTarget request);

        static Step of(RulesConfig.Action action, Map<String, MapTable> maps, Map<String, Limiter> limiters,
                       Map<String, BasicAuth> auth) {
            if (action instanceof RulesConfig.RequireAuth require) {
                BasicAuth users = auth.get(require.users());
                return (rule, q) -> {
                    java.util.concurrent.CompletableFuture<Boolean> check = users.check(q.header("authorization"));
                    if (check.isDone() && check.getNow(false)) {
                        return null;
                    }
                    if (check.isDone()) {
                        return new Outcome(Outcome.Kind.AUTH, rule, 401, users.realm(), null, null, null);
                    }
                    return new Outcome(Outcome.Kind.CHECKING, rule, 0, null, null, null, null, 0,
                            new Outcome.Resume(check, 0, 0, users.realm()));
                };
            }
            if (action instanceof RulesConfig.ApplyLimit apply && limiters.get(apply.limit()) instanceof ConcurrencyLimiter c) {
                int status = c.config().status();
                return (rule, q) -> {
                    Runnable release = c.tryAcquire(q);
                    if (release == null) {
                        return new Outcome(Outcome.Kind.LIMITED, apply.limit(), status, null, null, null, null, 1, null);
                    }
                    q.onEnd(release);
                    return null;
                };
            }
            if (action instanceof RulesConfig.ApplyLimit apply) {
                RateLimiter limiter = (RateLimiter) limiters.get(apply.limit());
                int status = limiter.config().status();
                return (rule, q) -> {
                    long wait = limiter.acquire(q, System.nanoTime());
                    return wait == 0 ? null : new Outcome(Outcome.Kind.LIMITED, apply.limit(), status, null, null, null,
                            null, Math.max(1, (wait + 999_999_999L) / 1_000_000_000L), null);
                };
            }
            HeaderEdit edit = HeaderEdit.of(action, maps);
            if (edit != null) {
                return (rule, q) -> {
                    edit.apply(q, null, q.headers());
                    return null;
                };
            }
            if (action instanceof RulesConfig.Rewrite rewrite) {
                Renderer replacement = new Renderer(rewrite.replacement(), maps);
                return (rule, q) -> {
                    Matcher m = rewrite.regex().matcher(q.path());
                    if (m.find()) {
                        String target = replacement.render(q, null, m);
                        String query = Fields.query(q.uri());
                        if (!query.isEmpty()) { // the request's own arguments follow (nginx's rewrite)
                            target = target + (target.indexOf('?') < 0 ? '?' : '&') + query;
                        }
                        q.rewriteUri(target.startsWith("/") ? target : "/" + target);
                    }
                    return null;
                };
            }
            if (action instanceof RulesConfig.Deny deny) {
                return (rule, q) -> new Outcome(Outcome.Kind.DENY, rule, deny.status(), null, null, null, null);
            }
            if (action instanceof RulesConfig.Redirect redirect) {
                Renderer location = new Renderer(redirect.location(), maps);
                return (rule, q) -> new Outcome(Outcome.Kind.REDIRECT, rule, redirect.status(),
                        location.render(q, null, null), null, null, null);
            }
            if (action instanceof RulesConfig.Return ret) {
                return (rule, q) -> new Outcome(Outcome.Kind.RETURN, rule, ret.status(), null, ret.contentType(),
                        ret.body(), null);
            }
            if (action instanceof RulesConfig.UseBackend use) {
                if (use.map() != null) {
                    Renderer.Lookup lookup = Renderer.lookup(maps.get(use.map()));
                    return (rule, q) -> {
                        String backend = lookup.value(q, null);
                        return backend == null ? null
                                : new Outcome(Outcome.Kind.USE_BACKEND, rule, 0, null, null, null, backend);
                    };
                }
                return (rule, q) -> new Outcome(Outcome.Kind.USE_BACKEND, rule, 0, null, null, null, use.backend());
            }
            throw new IllegalArgumentException("unknown action " + action);
        }
    }
}
