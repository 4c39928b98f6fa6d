package io.ferry.exchange;

import io.ferry.rules.Outcome;

/**
 * The request rules ({@code rules.request}), before routing so that a rewrite or a choice of backend is
 * what routing sees: header edits, then an answer (deny, redirect, return) or a backend by name.
 * Costs nothing when no rule is configured.
 */
final class RulesPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        if (ex.runtime.requestRules.isEmpty()) {
            return Next.CONTINUE;
        }
        Outcome outcome = ex.runtime.requestRules.apply(ex.ruleFacts());
        if (outcome == null) {
            return Next.CONTINUE;
        }
        if (outcome.kind() == Outcome.Kind.USE_BACKEND) {
            ctx.ruleBackend = outcome.backend();
            return Next.CONTINUE;
        }
        ex.record.rule = outcome.rule();
        if (outcome.kind() == Outcome.Kind.LIMITED) {
            ex.settings.metrics().rateLimited(outcome.rule());
        }
        ex.respondWith(new RuleResponder(outcome));
        return Next.ANSWERED;
    }
}
