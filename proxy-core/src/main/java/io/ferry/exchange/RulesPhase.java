package io.ferry.exchange;

import io.ferry.rules.Outcome;

/**
 * The request rules ({@code rules.request}), before routing so that a rewrite or a choice of backend is
 * what routing sees: header edits, then an answer (deny, redirect, return, a limit, 401) or a backend by
 * name. A credential bcrypt must check makes the exchange wait (the check runs off the event loop) and
 * the rules go on from there. Costs nothing when no rule is configured.
 */
final class RulesPhase implements RequestPhase {
    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        if (ex.runtime.requestRules.isEmpty()) {
            return Next.CONTINUE;
        }
        return decide(ex, ctx, ex.runtime.requestRules.apply(ex.ruleFacts()));
    }

    private Next decide(Exchange ex, RequestContext ctx, Outcome outcome) {
        if (outcome == null) {
            return Next.CONTINUE;
        }
        switch (outcome.kind()) {
            case USE_BACKEND -> {
                ctx.ruleBackend = outcome.backend();
                return Next.CONTINUE;
            }
            case CHECKING -> {
                Outcome.Resume at = outcome.resume();
                at.check().whenComplete((ok, error) -> ex.client.eventLoop().execute(() -> {
                    if (!ex.waitingInPhases()) {
                        return; // the client left while its credentials were checked
                    }
                    Outcome next = Boolean.TRUE.equals(ok)
                            ? ex.runtime.requestRules.apply(ex.ruleFacts(), at.rule(), at.step())
                            : new Outcome(Outcome.Kind.AUTH, outcome.rule(), 401, at.realm(), null, null, null);
                    if (decide(ex, ctx, next) == Next.CONTINUE) {
                        ex.resumeAfter(this);
                    }
                }));
                return Next.WAIT;
            }
            case LIMITED -> ex.settings.metrics().rateLimited(outcome.rule());
            default -> {
            }
        }
        ex.record.rule = outcome.rule();
        ex.respondWith(new RuleResponder(outcome));
        return Next.ANSWERED;
    }
}
